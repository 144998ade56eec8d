import { lt, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Logger } from "pino";
import { type API_CALL_TYPES, apiUsageDays, apiUsageMinutes } from "@/schema/tables/index.js";
import type { Actor } from "@/src/auth/actor.js";
import type { Db, Queryable } from "@/src/db/database.js";

export type CallType = (typeof API_CALL_TYPES)[number];

type Counts = { calls: number; clientErrors: number; serverErrors: number };
type Bucket = Counts & { organisationId: string; principal: string; type: CallType; start: Date };

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Who a call is counted for: the API key, or the user of a session. */
export function principalOf(actor: Actor): { organisationId: string; principal: string } | undefined {
  if (actor.kind === "apiKey")
    return { organisationId: actor.organisationId, principal: `key:${actor.apiKeyId}` };
  if (actor.kind === "user")
    return { organisationId: actor.organisationId, principal: `user:${actor.userId}` };
  return undefined;
}

/**
 * Counts calls in memory (the request path only increments a map entry) and flushes them every
 * few seconds into per-minute and per-day buckets with additive upserts. A failed flush keeps the
 * counts for the next one, so a short database outage loses nothing.
 */
export class UsageRecorder {
  private pending = new Map<string, Bucket>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly afterFlush: () => Promise<void> = async () => {},
  ) {}

  record(actor: Actor, type: CallType, status: number, at = Date.now()): void {
    const who = principalOf(actor);
    if (!who) return;
    const start = at - (at % MINUTE);
    const id = `${who.organisationId}|${who.principal}|${type}|${start}`;
    let bucket = this.pending.get(id);
    if (!bucket) {
      bucket = { ...who, type, start: new Date(start), calls: 0, clientErrors: 0, serverErrors: 0 };
      this.pending.set(id, bucket);
    }
    bucket.calls++;
    if (status >= 500) bucket.serverErrors++;
    else if (status >= 400) bucket.clientErrors++;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Writes everything counted so far; concurrent calls are serialised. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Drops minute buckets past their retention, and day buckets past theirs. */
  async prune(minuteRetentionDays: number, dayRetentionDays: number): Promise<void> {
    const now = Date.now();
    await this.db
      .delete(apiUsageMinutes)
      .where(lt(apiUsageMinutes.start, new Date(now - minuteRetentionDays * DAY)));
    await this.db.delete(apiUsageDays).where(lt(apiUsageDays.start, new Date(now - dayRetentionDays * DAY)));
  }

  private async write(): Promise<void> {
    const buckets = [...this.pending.values()];
    this.pending = new Map();
    if (buckets.length > 0) {
      try {
        // One transaction: if the day upsert failed after the minute upsert, the retry (the counts
        // are restored below) would count those minutes twice.
        await this.db.transaction(async (tx) => {
          await this.upsert(tx, apiUsageMinutes, buckets);
          await this.upsert(tx, apiUsageDays, mergeByDay(buckets));
        });
      } catch (error) {
        this.logger.warn({ err: error, buckets: buckets.length }, "usage flush failed; will retry");
        for (const bucket of buckets) this.restore(bucket);
      }
    }
    // Apart: its failure must not restore counts that are already written.
    try {
      await this.afterFlush();
    } catch (error) {
      this.logger.warn({ err: error }, "after-flush hook failed");
    }
  }

  private restore(bucket: Bucket) {
    const id = `${bucket.organisationId}|${bucket.principal}|${bucket.type}|${bucket.start.getTime()}`;
    const current = this.pending.get(id);
    if (!current) this.pending.set(id, bucket);
    else {
      current.calls += bucket.calls;
      current.clientErrors += bucket.clientErrors;
      current.serverErrors += bucket.serverErrors;
    }
  }

  private async upsert(
    db: Queryable,
    table: typeof apiUsageMinutes | typeof apiUsageDays,
    buckets: Bucket[],
  ) {
    const add = (column: PgColumn, name: string) => sql`${column} + excluded.${sql.identifier(name)}`;
    // Chunks keep each statement well under PostgreSQL's 65,535 bind parameters.
    for (let i = 0; i < buckets.length; i += 1_000) {
      await db
        .insert(table)
        .values(buckets.slice(i, i + 1_000))
        .onConflictDoUpdate({
          target: [table.organisationId, table.principal, table.type, table.start],
          set: {
            calls: add(table.calls, "calls"),
            clientErrors: add(table.clientErrors, "client_errors"),
            serverErrors: add(table.serverErrors, "server_errors"),
          },
        });
    }
  }
}

function mergeByDay(buckets: Bucket[]): Bucket[] {
  const days = new Map<string, Bucket>();
  for (const bucket of buckets) {
    const start = bucket.start.getTime() - (bucket.start.getTime() % DAY);
    const id = `${bucket.organisationId}|${bucket.principal}|${bucket.type}|${start}`;
    const day = days.get(id) ?? {
      ...bucket,
      start: new Date(start),
      calls: 0,
      clientErrors: 0,
      serverErrors: 0,
    };
    day.calls += bucket.calls;
    day.clientErrors += bucket.clientErrors;
    day.serverErrors += bucket.serverErrors;
    days.set(id, day);
  }
  return [...days.values()];
}
