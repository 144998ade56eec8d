import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as tables from "@/schema/tables/index.js";
import { alwaysAvailable, type DatabaseHealth, databaseHealth } from "./database-health.js";
import { counterAllocator, leaseAllocator, type RevisionAllocator } from "./revisions.js";

export type Tables = typeof tables;
/** One database type for both drivers: services never know which one they run on. */
export type Db = PgDatabase<PgQueryResultHKT, Tables>;
export type Tx = PgTransaction<PgQueryResultHKT, Tables, ExtractTablesWithRelations<Tables>>;
/** Anything a query can run on: the database or an open transaction. */
export type Queryable = Db | Tx;

export const MIGRATIONS_FOLDER = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "schema",
  "migrations",
);

export type Database = {
  db: Db;
  /** SQL statements sent through drizzle since start; tests use it to prove query counts stay flat. */
  readonly stats: { queries: number };
  driver: "pglite" | "postgres";
  /** How writers take revisions on this driver (see revisions.ts). */
  revisions: RevisionAllocator;
  /** Runs a trivial query; throws when the database is unreachable. */
  ping(): Promise<void>;
  /** The circuit breaker: whether the database is reachable now (always, for PGlite). */
  health: DatabaseHealth;
  close(): Promise<void>;
};

/** How a PostgreSQL pool fails fast while the server is unreachable. */
export type PostgresTimeouts = {
  connectTimeoutMs?: number;
  /** 0: none. */
  statementTimeoutMs?: number;
  onOutage?: (error: unknown) => void;
  onRecovery?: () => void;
};

export type DatabaseOptions =
  | ({ driver: "postgres"; url: string; poolSize?: number } & PostgresTimeouts)
  | { driver: "pglite"; dataDir: string }
  | { driver: "pglite"; client: PGlite };

// Any fixed 64-bit number: serialises migrations when several replicas start at once.
const MIGRATION_LOCK = 7_253_911_004;

/** The PostgreSQL options of the settings, with the breaker's transitions logged. */
export function postgresOptionsFromEnv(
  env: {
    DATABASE_POOL_SIZE: number;
    DATABASE_CONNECT_TIMEOUT_MS: number;
    DATABASE_STATEMENT_TIMEOUT_MS: number;
  },
  logger: { warn(object: object, message: string): void; info(message: string): void },
): Omit<Extract<DatabaseOptions, { driver: "postgres" }>, "driver" | "url"> {
  return {
    poolSize: env.DATABASE_POOL_SIZE,
    connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    onOutage: (error) => logger.warn({ err: error }, "database unreachable: answering 503 until it is back"),
    onRecovery: () => logger.info("database reachable again"),
  };
}

/** Opens the database and applies pending migrations (SPEC section 8: migrations run at start). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.driver === "postgres") return openPostgres(options);
  const client = "client" in options ? options.client : openDataDir(options.dataDir);
  const stats = { queries: 0 };
  const db = drizzlePglite(client, { schema: tables, logger: counter(stats) });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const ping = async () => {
    await client.query("select 1");
  };
  return {
    db: db as unknown as Db,
    stats,
    driver: "pglite",
    revisions: counterAllocator,
    ping,
    health: alwaysAvailable(ping),
    close: once(() => client.close()),
  };
}

const counter = (stats: { queries: number }) => ({
  logQuery() {
    stats.queries++;
  },
});

/** Closing twice (app shutdown, then a test's cleanup) must not throw. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= close();
    return closing;
  };
}

function openDataDir(dataDir: string): PGlite {
  mkdirSync(resolve(dataDir), { recursive: true });
  return new PGlite(resolve(dataDir));
}

// Reconnect attempts after a failed connection: postgres.js's default backoff grows to 20 s, so
// writers would wait that long after the database returned. The breaker keeps requests away meanwhile.
const reconnectDelaySeconds = (retries: number) => Math.min(0.05 * retries, 0.5);

async function openPostgres(options: Extract<DatabaseOptions, { driver: "postgres" }>): Promise<Database> {
  const { url, poolSize = 10, connectTimeoutMs = 1_500, statementTimeoutMs = 30_000 } = options;
  const migrationClient = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrationClient`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(migrationClient), { migrationsFolder: MIGRATIONS_FOLDER });
    await migrationClient`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await migrationClient.end();
  }
  // Any connection closing (the server went away, or just an idle one) makes the breaker check.
  let health: DatabaseHealth | undefined;
  const failFast = {
    onnotice: () => {},
    connect_timeout: connectTimeoutMs / 1000,
    backoff: reconnectDelaySeconds,
    onclose: () => health?.suspect(),
  };
  const client = postgres(url, {
    ...failFast,
    max: poolSize,
    connection: statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {},
  });
  // Revision leases commit on a connection of their own (see revisions.ts); only their order
  // matters there, not their durability. It reconnects like the pool after an outage.
  const leaseClient = postgres(url, {
    ...failFast,
    max: 1,
    connection: {
      synchronous_commit: "off",
      application_name: "visit-api revision leases",
      ...(statementTimeoutMs > 0 && { statement_timeout: statementTimeoutMs }),
    },
  });
  const stats = { queries: 0 };
  const db = drizzlePostgres(client, { schema: tables, logger: counter(stats) });
  const leaseDb = drizzlePostgres(leaseClient, { schema: tables, logger: counter(stats) });
  const ping = async () => {
    await client`select 1`;
  };
  health = databaseHealth({ ping, onOutage: options.onOutage, onRecovery: options.onRecovery });
  const breaker = health;
  return {
    db: db as unknown as Db,
    stats,
    driver: "postgres",
    revisions: leaseAllocator(leaseDb as unknown as Db),
    ping,
    health: breaker,
    close: once(async () => {
      breaker.close();
      await client.end({ timeout: 5 });
      await leaseClient.end({ timeout: 5 });
    }),
  };
}
