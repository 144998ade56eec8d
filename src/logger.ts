import pino, { type Logger } from "pino";
import type { Env } from "@/src/config/env.js";

export type { Logger };

/** Structured JSON logs; secrets that may pass through request logging are redacted. */
export function createLogger(env: Pick<Env, "LOG_LEVEL">): Logger {
  return pino({
    level: env.LOG_LEVEL,
    base: { service: "visit-api" },
    // The generated first-start password is deliberately logged once (SPEC section 3).
    redact: ["req.headers.authorization", "req.headers.cookie", "*.password"],
  });
}
