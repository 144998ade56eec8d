import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import postgres from "postgres";
import { loadEnv } from "@/src/config/env.js";

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

export type BenchInfrastructure = {
  /** The fresh database's URL, on the server of DATABASE_URL. */
  databaseUrl: string;
  databaseName: string;
  redisUrl: string;
  /** Unique per run, so concurrent runs and test suites never share keys. */
  redisPrefix: string;
  /** Direct access for seeding and the baselines. */
  sql: postgres.Sql;
  /** Drops the database and every key under the prefix. */
  drop(): Promise<void>;
};

/**
 * A new database `visit_<kind>_<random>` on the PostgreSQL server of DATABASE_URL (default: the local
 * one) and a new Redis prefix on REDIS_URL (default: the local Redis). Both are dropped by `drop()`.
 */
export async function createBenchInfrastructure(kind: "bench" | "soak"): Promise<BenchInfrastructure> {
  const env = loadEnv();
  const serverUrl = env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const redisUrl = env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const suffix = randomBytes(5).toString("hex");
  const databaseName = `visit_${kind}_${suffix}`;
  const redisPrefix = `visit-${kind}-${suffix}`;

  // Redis first: when it is unreachable, nothing has been created yet that would need dropping.
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.ping();

  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${databaseName}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });

  return {
    databaseUrl,
    databaseName,
    redisUrl,
    redisPrefix,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
      await admin.end({ timeout: 5 });
      for await (const keys of redis.scanStream({ match: `${redisPrefix}*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
      await redis.quit();
    },
  };
}

/** The environment of one app instance on the bench database and Redis prefix (nothing inherited). */
export function appEnvironment(
  infrastructure: BenchInfrastructure,
  port: number,
  admin: { email: string; password: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: infrastructure.databaseUrl,
    REDIS_URL: infrastructure.redisUrl,
    REDIS_PREFIX: infrastructure.redisPrefix,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    LOG_LEVEL: "warn",
    // The load would otherwise measure the rate limiter's refusals instead of the API.
    RATE_LIMIT_PER_MINUTE: "1000000",
    RATE_LIMIT_CONCURRENCY: "10000",
    ...extra,
  };
}
