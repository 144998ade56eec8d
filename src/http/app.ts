import { createServer, type Server } from "node:http";
import { expressMiddleware } from "@as-integrations/express5";
import { createCompatRouter } from "@/compat/compat.router.js";
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import type { Actor } from "@/src/auth/actor.js";
import { Authenticator } from "@/src/auth/authenticator.js";
import type { Env } from "@/src/config/env.js";
import type { Database } from "@/src/db/database.js";
import { AppError, unauthenticated } from "@/src/errors/app-error.js";
import { type PublicError, toPublicError } from "@/src/errors/error-body.js";
import { createApolloServer } from "@/src/graphql/apollo.js";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { createExecutor, type GraphQLExecutor } from "@/src/graphql/executor.js";
import { createContext } from "@/src/graphql/loaders.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import { createServices, type Services } from "@/src/services/services.js";
import { playgroundRouter } from "./playground.js";
import { requestId } from "./request-id.js";

declare module "express-serve-static-core" {
  interface Locals {
    actor?: Actor;
  }
}

export type App = {
  server: Server;
  /** Runs a GraphQL operation in-process as an actor (for the REST layer and functions). */
  graphql: GraphQLExecutor;
  services: Services;
  database: Database;
  logger: Logger;
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting connections, drains in-flight requests, then closes the database. */
  close(): Promise<void>;
};

/** The GraphQL shape of a request-level failure (before any operation ran). */
function graphqlErrorBody(error: PublicError) {
  return {
    errors: [
      {
        message: error.message,
        extensions: { code: error.code, ...(error.reason && { reason: error.reason }) },
      },
    ],
  };
}

export async function createApp(options: { env: Env; logger: Logger; database: Database }): Promise<App> {
  const { env, logger, database } = options;
  const services = createServices(database.db, env);
  await services.organisations.bootstrap(
    { orgName: env.ORG_NAME, adminEmail: env.ADMIN_EMAIL, adminPassword: env.ADMIN_PASSWORD },
    logger,
  );
  const authenticator = new Authenticator(services.sessions, env.OPERATOR_TOKEN, async () => {
    throw unauthenticated("UNKNOWN_KEY", "Unknown API key");
  });

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", env.TRUST_PROXY);
  const server = createServer(app);

  app.use(
    pinoHttp({
      logger,
      genReqId: requestId,
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : "info"),
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" },
    }),
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (req, res) => {
    try {
      await database.ping();
      res.json({ status: "ready", database: "ok" });
    } catch (error) {
      req.log.warn({ err: error }, "readiness check failed");
      res.status(503).json({ status: "unavailable", database: "unreachable" });
    }
  });

  app.use(playgroundRouter());

  const authenticateRequest = (req: Request) =>
    authenticator.authenticate({ authorization: req.headers.authorization, ip: clientIp(req) });
  const authenticate: RequestHandler = async (req, res, next) => {
    res.locals.actor = await authenticateRequest(req);
    next();
  };

  const schema = await graphqlSchema();
  const apollo = createApolloServer({ schema, env, logger, httpServer: server });
  await apollo.start();
  const graphql = createExecutor(apollo, services);
  app.use(
    "/graphql",
    express.json({ limit: env.BODY_LIMIT_BYTES }),
    authenticate,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> =>
        createContext(services, res.locals.actor ?? { kind: "anonymous" }, String(req.id)),
    }),
  );

  app.use(createCompatRouter({ env, graphql, authenticate: authenticateRequest }));

  app.use((req, res) => {
    const error = toPublicError(new AppError("NOT_FOUND", `No route for ${req.method} ${req.path}`));
    res.status(404).json(graphqlErrorBody(error));
  });

  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const publicError = toPublicError(bodyParserError(error) ?? error, req.log);
    if (publicError.retryAfter !== undefined) res.set("Retry-After", String(publicError.retryAfter));
    res.status(publicError.status).json(graphqlErrorBody(publicError));
  };
  app.use(onError);

  return {
    server,
    graphql,
    services,
    database,
    logger,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === "object" && address ? address.port : port);
        });
      }),
    async close() {
      // Apollo's drain plugin closes the HTTP server and waits for in-flight requests.
      await apollo.stop();
      await database.close();
    },
  };
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "";
}

/** Maps body-parser's errors (size, syntax, charset) to our codes; undefined for anything else. */
function bodyParserError(error: unknown): AppError | undefined {
  const type = (error as { type?: unknown })?.type;
  if (type === "entity.too.large") return new AppError("PAYLOAD_TOO_LARGE", "The request body is too large");
  if (type === "entity.parse.failed")
    return new AppError("BAD_REQUEST", "The request body is not valid JSON");
  if (type === "charset.unsupported" || type === "encoding.unsupported") {
    return new AppError("UNSUPPORTED_MEDIA_TYPE", "Unsupported body encoding");
  }
  return undefined;
}
