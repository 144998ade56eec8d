import express, { type Router } from "express";
import type { Actor } from "@/src/auth/actor.js";
import type { Env } from "@/src/config/env.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";

export type CompatDeps = {
  env: Env;
  graphql: GraphQLExecutor;
  /** The shared verification path: the caller's actor, or throws an AppError (401 with reason). */
  authenticate(req: express.Request): Promise<Actor>;
};

/** The legacy REST layer (SPEC section 5): `/json/...` and `/xml/...` routes. */
export function createCompatRouter(_deps: CompatDeps): Router {
  return express.Router();
}
