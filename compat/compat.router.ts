import express, { type Request, type RequestHandler, type Response, type Router } from "express";
import type { Actor } from "@/src/auth/actor.js";
import { refuseInvalidUtf8 } from "@/src/http/body-checks.js";
import type { RestPort } from "@/src/http/rest-port.js";
import type { RestDispatcher } from "./rest-dispatcher.js";

export type CompatDeps = {
  dispatcher: RestDispatcher;
  /** The shared verification path: the caller's actor, or throws an AppError (401 with reason). */
  authenticate(req: Request): Promise<Actor>;
  bodyLimitBytes: number;
};

/** The whole request as the REST port takes it; the body is read only if the route asks, after authentication. */
function restRequest(
  req: Request,
  res: Response,
  readText: RequestHandler,
): Parameters<RestPort["dispatch"]>[0] {
  return {
    method: req.method,
    url: req.originalUrl,
    headers: Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(", ") : value,
      ]),
    ),
    body: () =>
      new Promise<string>((resolve, reject) => {
        readText(req, res, (error?: unknown) => {
          if (error) reject(error);
          else resolve(typeof req.body === "string" ? req.body : "");
        });
      }),
  };
}

/**
 * The REST families over HTTP (SPEC sections 5 and 9): `/json/...`, `/xml/...`, `/create/v2/...`,
 * and their OpenAPI descriptions at `/openapi.json` (v1) and `/create/v2/openapi.json`. A thin
 * adapter: the dispatcher decides everything, this only moves requests and responses.
 */
export function createCompatRouter(deps: CompatDeps): Router {
  const { dispatcher } = deps;
  const router = express.Router();
  const readText = express.text({
    type: () => true,
    limit: deps.bodyLimitBytes,
    defaultCharset: "utf-8",
    // Invalid UTF-8 is refused, not read with U+FFFD in place of the client's bytes.
    verify: refuseInvalidUtf8,
  });
  router.get("/openapi.json", (_req, res) => {
    res.json(dispatcher.openApi.v1);
  });
  router.get("/create/v2/openapi.json", (_req, res) => {
    res.json(dispatcher.openApi.v2);
  });
  router.use(async (req, res, next) => {
    const answered = await dispatcher.dispatch(restRequest(req, res, readText), {
      authenticate: () => deps.authenticate(req),
      requestId: String(req.id),
      log: req.log,
    });
    if (!answered) return next();
    const { response } = answered;
    res.status(response.status).set(response.headers);
    if (response.status === 204) res.end();
    else res.send(response.body);
  });
  return router;
}
