import type { Express, RequestHandler } from "express";
import type { Logger } from "pino";
import { requestId } from "./request-id.js";

declare module "node:http" {
  interface IncomingMessage {
    /** The request id (X-Request-Id): set before any route runs. */
    id: string;
    /** The logger of this request: every line carries its id. */
    log: Logger;
  }
}

const UNLOGGED = new Set(["/healthz", "/readyz"]);
const childLoggers = new WeakMap<object, Logger>();

/**
 * Gives each request its id and a logger bound to it, and logs one line when it ends (a 5xx
 * other than 503 as an error, an aborted request as a warning). Leaner than a per-request child logger and serialised
 * request and response objects: the child is made only when something logs through it.
 */
export function requestLog(app: Express, logger: Logger): RequestHandler {
  Object.defineProperty(app.request, "log", {
    configurable: true,
    get(this: { id: string }): Logger {
      let child = childLoggers.get(this);
      if (!child) {
        child = logger.child({ reqId: this.id });
        childLoggers.set(this, child);
      }
      return child;
    },
  });
  return (req, res, next) => {
    req.id = requestId(req, res);
    if (!UNLOGGED.has(req.url)) {
      const started = performance.now();
      res.once("close", () => {
        const finished = res.writableFinished;
        // A 503 is an outage already logged once where it is detected, not an error per request.
        const level = !finished ? "warn" : res.statusCode >= 500 && res.statusCode !== 503 ? "error" : "info";
        if (!logger.isLevelEnabled(level)) return;
        // pino-http's shape, without headers: log processors keep reading `req.id` and `res.statusCode`.
        const line = {
          req: { id: req.id, method: req.method, url: req.originalUrl },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - started),
        };
        logger[level](line, finished ? "request completed" : "request aborted");
      });
    }
    next();
  };
}
