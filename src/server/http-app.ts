import { expressMiddleware } from "@as-integrations/express5";
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from "express";
import type { Logger } from "pino";
import { createCompatRouter } from "@/compat/compat.router.js";
import type { Actor } from "@/src/auth/actor.js";
import { Authenticator } from "@/src/auth/authenticator.js";
import type { Env } from "@/src/config/env.js";
import type { Database } from "@/src/db/database.js";
import { AppError } from "@/src/errors/app-error.js";
import { sendError } from "@/src/errors/error-render.js";
import { toPublicError } from "@/src/errors/public-error.js";
import { createContext, type GraphQLContext } from "@/src/graphql/context.js";
import { jsonBodyCheck, MAX_JSON_DEPTH } from "@/src/http/body-checks.js";
import { consoleRouter } from "@/src/http/console.router.js";
import { playgroundRouter } from "@/src/http/playground.js";
import { requestLog } from "@/src/http/request-log.js";
import type { CallType } from "@/src/services/usage-recorder.js";
import type { Core } from "./core.js";
import { functionsRouter } from "./functions.router.js";

declare module "express-serve-static-core" {
  interface Locals {
    actor?: Actor;
  }
}

/**
 * The HTTP surfaces on one Express app: health, the playground, GraphQL, the legacy REST layer and
 * endpoint functions, all behind one verification path and counted in the usage statistics.
 */
export function createHttpApp(options: {
  env: Env;
  logger: Logger;
  database: Database;
  core: Core;
}): Express {
  const { env, logger, database, core } = options;
  const { infrastructure, services, usage, apollo, rest, runner } = core;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", env.TRUST_PROXY);
  const authenticator = new Authenticator(services.sessions, env.OPERATOR_TOKEN, (secret, ip) =>
    services.apiKeyVerifier.verify(secret, ip),
  );

  app.use(requestLog(app, logger));

  // Every authenticated call is counted when its response is finished, off the request's path.
  app.use((req, res, next) => {
    const type = callTypeOf(req.path);
    if (type)
      res.on("finish", () => res.locals.actor && usage.record(res.locals.actor, type, res.statusCode));
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  // Answers within READY_WITHIN_MS whatever is down. 503 only for the database: without Redis the
  // instance still serves (degraded), and taking every instance out at once would help nobody.
  app.get("/readyz", async (req, res) => {
    const [databaseUp, redis] = await Promise.all([
      database.health.check(READY_WITHIN_MS),
      infrastructure.redisReport(READY_WITHIN_MS),
    ]);
    const ready = databaseUp;
    const degraded = redis !== undefined && redis.redis !== "ok";
    const report = {
      status: !ready ? "unavailable" : degraded ? "degraded" : "ready",
      database: databaseUp ? "ok" : "unreachable",
      databaseOutages: database.health.status().outages,
      ...redis,
    };
    if (!ready || degraded) req.log.debug({ report }, "readiness check: a dependency is down");
    res.status(ready ? 200 : 503).json(report);
  });

  app.use(playgroundRouter());
  app.use(consoleRouter());

  // The one verification path of every surface: who is calling, then that key's rate limits.
  const authenticateRequest = async (req: Request): Promise<Actor> => {
    // While the database is unreachable, answer 503 at once rather than wait for a connection.
    database.health.assertAvailable();
    const actor = await authenticator.authenticate({
      authorization: req.headers.authorization,
      ip: clientIp(req),
    });
    const res = req.res;
    if (!res) throw new Error("an Express request without its response");
    res.locals.actor = actor;
    if (actor.kind === "apiKey") {
      const release = await infrastructure.rateLimiter.acquire(actor.apiKeyId, actor.limits);
      res.once("close", release);
    }
    return actor;
  };
  const authenticate: RequestHandler = async (req, res, next) => {
    res.locals.actor = await authenticateRequest(req);
    next();
  };

  app.use(
    "/graphql",
    // Invalid UTF-8 and over-deep JSON are refused on the raw bytes, before authentication.
    express.json({ limit: env.BODY_LIMIT_BYTES, verify: jsonBodyCheck(MAX_JSON_DEPTH) }),
    authenticate,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> =>
        createContext(services, res.locals.actor ?? { kind: "anonymous" }, String(req.id)),
    }),
  );

  app.use(
    createCompatRouter({
      dispatcher: rest,
      authenticate: authenticateRequest,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
    }),
  );

  app.use(
    functionsRouter({
      endpoints: services.endpoints,
      runner,
      authenticate: authenticateRequest,
      bodyLimit: env.BODY_LIMIT_BYTES,
    }),
  );

  app.use((req, res) => {
    sendError(
      res,
      toPublicError(new AppError("NOT_FOUND", `No route for ${req.method} ${req.path}`)),
      "graphql",
    );
  });

  // Endpoint functions answer problem+json; everything else here is GraphQL's shape (the REST
  // routes render their own errors).
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    sendError(
      res,
      toPublicError(error, req.log),
      req.path.startsWith("/functions/") ? "problem+json" : "graphql",
    );
  };
  app.use(onError);
  return app;
}

const READY_WITHIN_MS = 800;

function callTypeOf(path: string): CallType | undefined {
  if (path === "/graphql") return "GRAPHQL";
  if (path.startsWith("/json/")) return "JSON";
  if (path.startsWith("/xml/")) return "XML";
  if (path.startsWith("/create/v2/")) return "JSON";
  if (path.startsWith("/functions/")) return "FUNCTION";
  return undefined;
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "";
}
