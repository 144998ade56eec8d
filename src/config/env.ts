import { z } from "zod";
import { isIpOrCidr } from "@/src/auth/ip-allow-list.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );

const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", ""])
    .optional()
    .transform((value) =>
      value === undefined || value === "" ? fallback : ["true", "1", "yes"].includes(value),
    );

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** A comma list of positive millisecond delays, e.g. a retry ladder. */
const delayList = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const items = (value?.trim() || fallback).split(",").map((item) => item.trim());
      const delays = items.map(Number);
      if (delays.some((delay, index) => items[index] === "" || !Number.isSafeInteger(delay) || delay < 1)) {
        ctx.addIssue({ code: "custom", message: "must be a comma list of positive whole milliseconds" });
        return z.NEVER;
      }
      return delays;
    });

/** 32 bytes, as 64 hex digits or base64: an AES-256 key. */
const aesKey = optionalString.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (key.length !== 32 || (!/^[0-9a-f]{64}$/i.test(value) && key.toString("base64") !== value)) {
    ctx.addIssue({ code: "custom", message: "must be 32 bytes as 64 hex digits or base64" });
    return z.NEVER;
  }
  return key;
});

/** Express's `trust proxy`: false, true, a hop count, or a list of addresses/CIDR ranges. */
export type TrustProxy = boolean | number | string[];

const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): TrustProxy => {
    const text = (value ?? "").trim();
    if (text === "" || text === "false") return false;
    if (text === "true") return true;
    if (/^\d+$/.test(text)) return Number(text);
    const entries = text.split(",").map((item) => item.trim());
    for (const entry of entries) {
      if (!isIpOrCidr(entry)) {
        ctx.addIssue({ code: "custom", message: `"${entry}" is not an IP address or CIDR range` });
        return z.NEVER;
      }
    }
    return entries;
  });

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: int(4000, 0, 65535),
    HOST: z.string().default("0.0.0.0"),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
        .optional(),
    ),
    DATABASE_POOL_SIZE: int(10, 1, 200),
    // PostgreSQL only: fail fast while the server is unreachable (see database-health.ts).
    DATABASE_CONNECT_TIMEOUT_MS: int(1_500, 100, 60_000),
    DATABASE_STATEMENT_TIMEOUT_MS: int(30_000, 0, 3_600_000),
    DATA_DIR: z.string().default("./.data"),
    REDIS_URL: optionalString.pipe(
      z
        .string()
        .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
        .optional(),
    ),
    REDIS_PREFIX: z
      .string()
      .regex(/^[\w.-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'")
      .default("visit"),
    ADMIN_EMAIL: optionalString.pipe(z.email("must be an email address").optional()),
    ADMIN_PASSWORD: optionalString.pipe(z.string().min(8, "must be at least 8 characters").optional()),
    ORG_NAME: z.string().trim().min(1).default("Default"),
    OPERATOR_TOKEN: optionalString.pipe(z.string().min(24, "must be at least 24 characters").optional()),
    TRUST_PROXY: trustProxy,
    LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
    SESSION_TTL_HOURS: int(12, 1, 24 * 90),
    GRAPHQL_MAX_DEPTH: int(12, 2, 100),
    GRAPHQL_MAX_COST: int(10_000, 100),
    GRAPHQL_MAX_ALIASES: int(100, 0, 10_000),
    BODY_LIMIT_BYTES: int(1024 * 1024, 1024),
    SHUTDOWN_TIMEOUT_MS: int(25_000, 0),
    // Slow or idle clients: a request head must arrive within the first, a whole request within the
    // second; an idle keep-alive connection is closed after the third.
    HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: int(60_000, 100, 3_600_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: int(5_000, 100, 600_000),
    RATE_LIMIT_PER_MINUTE: int(600, 1),
    RATE_LIMIT_CONCURRENCY: int(20, 1),
    // With Redis: how often each instance exchanges its rate-limit counts (the sharing tolerance).
    RATE_LIMIT_SYNC_MS: int(200, 10, 10_000),
    STATS_FLUSH_MS: int(5_000, 50, 60_000),
    STATS_MINUTE_RETENTION_DAYS: int(35, 1, 400),
    STATS_DAY_RETENTION_DAYS: int(800, 400),
    API_KEY_CACHE_TTL_MS: int(60_000, 0),
    FUNCTION_INTERVAL_MS: int(540_000, 1_000),
    OUTBOUND_ALLOW: commaList,
    // The older name of OUTBOUND_ALLOW (functions only, before webhooks): still accepted, merged.
    FUNCTION_FETCH_ALLOW: commaList,
    FUNCTION_MEMORY_MB: int(64, 8, 1024),
    FUNCTION_ENDPOINT_TIMEOUT_MS: int(10_000, 100),
    FUNCTION_TASK_TIMEOUT_MS: int(60_000, 100),
    FUNCTION_MAX_FETCHES: int(50, 0),
    FUNCTION_MAX_LOG_BYTES: int(64 * 1024, 1024),
    FUNCTION_WORKERS: int(2, 1, 64),
    RUN_WORKER: flag(true),
    WEBHOOK_TIMEOUT_MS: int(30_000, 10, 600_000),
    WEBHOOK_RETRY_DELAYS_MS: delayList("10000,60000,300000,900000,3600000,86400000"),
    WEBHOOK_RECONCILE_MS: int(5_000, 20, 3_600_000),
    WEBHOOK_MIN_INTERVAL_MS: int(1_000, 0, 3_600_000),
    WEBHOOK_SECRET_KEY: aesKey,
  })
  .refine((env) => (env.ADMIN_EMAIL === undefined) === (env.ADMIN_PASSWORD === undefined), {
    message: "ADMIN_EMAIL and ADMIN_PASSWORD must be set together",
    path: ["ADMIN_PASSWORD"],
  })
  // Node refuses a headers timeout longer than the request timeout.
  .refine((env) => env.HTTP_HEADERS_TIMEOUT_MS <= env.HTTP_REQUEST_TIMEOUT_MS, {
    message: "must not be longer than HTTP_REQUEST_TIMEOUT_MS",
    path: ["HTTP_HEADERS_TIMEOUT_MS"],
  });

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Reads and validates the configuration. This is the only reader of `process.env`;
 * `overrides` lets tests and tools start an app with other settings.
 */
export function loadEnv(overrides: Record<string, string | undefined> = {}): Env {
  const result = envSchema.safeParse({ ...process.env, ...overrides });
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `  ${issue.path.join(".") || "(config)"}: ${issue.message}`,
  );
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}
