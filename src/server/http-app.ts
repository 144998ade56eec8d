import { expressMiddleware } from "@as-integrations/express5";
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { createCompatRouter } from "@/compat/compat.router.js";
import type { Actor } from "@/src/auth/actor.js";
import { Authenticator } from "@/src/auth/authenticator.js";
import type { Env } from "@/src/config/env.js";
import type { Database } from "@/src/db/database.js";
import { AppError } from "@/src/errors/app-error.js";
import { type PublicError, toPublicError } from "@/src/errors/error-body.js";
import { ERROR_CODES } from "@/src/errors/error-code.js";
import { libraryHttpError } from "@/src/errors/library-error.js";
import { createContext, type GraphQLContext } from "@/src/graphql/context.js";
import { playgroundRouter } from "@/src/http/playground.js";
import { requestId } from "@/src/http/request-id.js";
import type { CallType } from "@/src/services/usage-recorder.js";
import type { Core } from "./core.js";
import { functionsRouter } from "./functions.router.js";

declare module "express-serve-static-core" {
  interface Locals {
    actor?: Actor;
  }
}

/** The GraphQL shape of a request-level failure (before any operation ran). */
function graphqlErrorBody(error: PublicError) {
  return {
    errors: [
      {
        message: error.message,
        extensions: {
          code: error.code,
          ...(error.reason && { reason: error.reason }),
          ...(error.retryAfter !== undefined && { retryAfter: error.retryAfter }),
        },
      },
    ],
  };
}

/** The problem+json body of SPEC section 5, for the non-GraphQL routes of the core. */
function problemBody(error: PublicError) {
  return {
    status: error.status,
    title: ERROR_CODES[error.code].title,
    errorCode: error.code,
    detail: error.message,
    ...(error.reason && { reason: error.reason }),
    ...error.details,
  };
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

  app.use(
    pinoHttp({
      logger,
      genReqId: requestId,
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : "info"),
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" },
    }),
  );

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
  app.get("/readyz", async (req, res) => {
    const checks = await Promise.allSettled([database.ping(), infrastructure.ping()]);
    const [db, redis] = checks;
    const report = {
      database: db.status === "fulfilled" ? "ok" : "unreachable",
      ...(env.REDIS_URL && { redis: redis.status === "fulfilled" ? "ok" : "unreachable" }),
    };
    const ready = checks.every((check) => check.status === "fulfilled");
    if (!ready) req.log.warn({ report }, "readiness check failed");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable", ...report });
  });

  app.use(playgroundRouter());

  // The one verification path of every surface: who is calling, then that key's rate limits.
  const authenticateRequest = async (req: Request): Promise<Actor> => {
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
    express.json({ limit: env.BODY_LIMIT_BYTES }),
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
    const error = toPublicError(new AppError("NOT_FOUND", `No route for ${req.method} ${req.path}`));
    res.status(404).json(graphqlErrorBody(error));
  });

  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const publicError = toPublicError(libraryHttpError(error) ?? error, req.log);
    if (publicError.retryAfter !== undefined) res.set("Retry-After", String(publicError.retryAfter));
    res.status(publicError.status);
    if (req.path.startsWith("/functions/"))
      res.type("application/problem+json").json(problemBody(publicError));
    else res.json(graphqlErrorBody(publicError));
  };
  app.use(onError);
  return app;
}

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
