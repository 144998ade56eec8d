import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Redis } from "ioredis";
import postgres from "postgres";
import type { Env } from "@/src/config/env.js";
import { type Database, MIGRATIONS_FOLDER, openDatabase } from "@/src/db/database.js";

/** A fresh database for one test file, dropped at the end. */
export type TestDatabase = { database: Database; url?: string; drop(): Promise<void> };

const CACHE = join(import.meta.dirname, "..", "..", "node_modules", ".cache", "visit-api");

function migrationsHash(): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(MIGRATIONS_FOLDER, { recursive: true }).map(String).sort()) {
    const path = join(MIGRATIONS_FOLDER, file);
    if (file.endsWith(".sql") || file.endsWith(".json")) hash.update(file).update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Migrating a new PGlite costs 1-2 s; loading a dump 0.4 s. The first test file to need the dump
 * makes it (keyed by the migrations, so a new migration makes a new one) and the others reuse it.
 */
async function pgliteSnapshot(): Promise<Buffer> {
  const file = join(CACHE, `pglite-${migrationsHash()}.tar.gz`);
  if (existsSync(file)) return readFileSync(file);
  const client = await PGlite.create();
  const database = await openDatabase({ driver: "pglite", client });
  const dump = Buffer.from(await (await client.dumpDataDir("gzip")).arrayBuffer());
  await database.close();
  mkdirSync(CACHE, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, dump);
  renameSync(partial, file);
  return dump;
}

export async function createTestDatabase(serverUrl: string | undefined): Promise<TestDatabase> {
  if (!serverUrl) {
    const client = await PGlite.create({ loadDataDir: new Blob([await pgliteSnapshot()]) });
    const database = await openDatabase({ driver: "pglite", client });
    return { database, drop: () => database.close() };
  }
  const name = `visit_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ driver: "postgres", url: url.toString(), poolSize: 10 });
  return {
    database,
    url: url.toString(),
    async drop() {
      await database.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Deletes every Redis key of a test app's random prefix (queues, limits, locks): tests leave nothing behind. */
export async function dropRedisPrefix(env: Pick<Env, "REDIS_URL" | "REDIS_PREFIX">): Promise<void> {
  if (!env.REDIS_URL || !env.REDIS_PREFIX.startsWith("visit-test-")) return;
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${env.REDIS_PREFIX}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
