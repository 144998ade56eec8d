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
  close(): Promise<void>;
};

export type DatabaseOptions =
  | { driver: "postgres"; url: string; poolSize?: number }
  | { driver: "pglite"; dataDir: string }
  | { driver: "pglite"; client: PGlite };

// Any fixed 64-bit number: serialises migrations when several replicas start at once.
const MIGRATION_LOCK = 7_253_911_004;

/** Opens the database and applies pending migrations (SPEC section 8: migrations run at start). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.driver === "postgres") return openPostgres(options.url, options.poolSize ?? 10);
  const client = "client" in options ? options.client : openDataDir(options.dataDir);
  const stats = { queries: 0 };
  const db = drizzlePglite(client, { schema: tables, logger: counter(stats) });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db: db as unknown as Db,
    stats,
    driver: "pglite",
    revisions: counterAllocator,
    ping: async () => {
      await client.query("select 1");
    },
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

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const migrationClient = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrationClient`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(migrationClient), { migrationsFolder: MIGRATIONS_FOLDER });
    await migrationClient`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await migrationClient.end();
  }
  const client = postgres(url, { max: poolSize, onnotice: () => {} });
  // Revision leases commit on a connection of their own (see revisions.ts); only their order
  // matters there, not their durability.
  const leaseClient = postgres(url, {
    max: 1,
    onnotice: () => {},
    connection: { synchronous_commit: "off", application_name: "visit-api revision leases" },
  });
  const stats = { queries: 0 };
  const db = drizzlePostgres(client, { schema: tables, logger: counter(stats) });
  const leaseDb = drizzlePostgres(leaseClient, { schema: tables, logger: counter(stats) });
  return {
    db: db as unknown as Db,
    stats,
    driver: "postgres",
    revisions: leaseAllocator(leaseDb as unknown as Db),
    ping: async () => {
      await client`select 1`;
    },
    close: once(async () => {
      await client.end({ timeout: 5 });
      await leaseClient.end({ timeout: 5 });
    }),
  };
}
