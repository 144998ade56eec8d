import { eq, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { revisionCounter, revisionLeases } from "@/schema/tables/index.js";
import type { Db, Queryable, Tx } from "./database.js";

/**
 * Revisions (SPEC section 2) come from one deployment-wide counter. A syncing reader asks for
 * `fromRevision = highest seen + 1`, so it must never return revision R while a revision below R
 * may still commit: the revisions a read returns must be a prefix of the revision order. Writers
 * take revisions through a `RevisionAllocator`; readers keep to `revisionHorizon()`.
 */
export interface RevisionAllocator {
  /** Takes `count` consecutive revisions for the write transaction `tx`; returns the first. */
  take(tx: Tx, count?: number): Promise<number>;
}

/**
 * Embedded database: takes the revisions by updating the counter inside the write transaction.
 * PGlite runs one transaction at a time, so writers are serialised anyway and a transaction's
 * revisions are visible exactly when it commits; no lease is needed.
 */
export const counterAllocator: RevisionAllocator = {
  async take(tx, count = 1) {
    const [row] = await tx
      .update(revisionCounter)
      .set({ value: sql`${revisionCounter.value} + ${count}` })
      .where(eq(revisionCounter.id, 1))
      .returning({ value: revisionCounter.value });
    if (!row) throw new Error("revision counter row is missing");
    return row.value - count + 1;
  },
};

/**
 * PostgreSQL server: writers do not wait for each other. The write transaction first gets its
 * transaction id; then, on `leaseDb` (a connection of its own, so a writer holding a pool
 * connection never waits for another pool connection), one autocommitted statement advances the
 * counter and records a lease (first revision, writer's xid). The counter's row lock is held for
 * that statement only, so leases commit in revision order: once a lease is visible, every lease
 * of a lower revision is too. The writer stores its revisions in its own transaction; readers
 * hide everything from the lowest lease whose writer is still running (`revisionHorizon`). A
 * writer that rolls back or crashes is no longer running, so its lease stops hiding anything at
 * once; later allocations purge the leases of finished writers.
 *
 * `leaseDb` may run with `synchronous_commit = off`: a writer's commit flushes the WAL up to its
 * own commit record, which includes its lease, so a durable write never has a lost lease.
 */
export function leaseAllocator(leaseDb: Db): RevisionAllocator {
  return {
    async take(tx, count = 1) {
      const [writer] = rowsOf<{ xid: string }>(
        await tx.execute(sql`select pg_current_xact_id()::text as xid`),
      );
      if (!writer) throw new Error("no transaction id");
      // The purge reads `taken`, so it runs after the counter is locked: two allocating
      // connections always lock the counter first and cannot deadlock on lease rows.
      const [lease] = rowsOf<{ first: string }>(
        await leaseDb.execute(sql`
          with taken as (
            update revision_counter set value = value + ${count} where id = 1 returning value
          ), purged as (
            delete from revision_leases
            where exists (select from taken) and pg_visible_in_snapshot(xid, pg_current_snapshot())
          )
          insert into revision_leases (first_revision, xid)
          select value - ${count} + 1, ${writer.xid}::xid8 from taken
          returning first_revision::text as first`),
      );
      if (!lease) throw new Error("revision counter row is missing");
      return Number(lease.first);
    },
  };
}

/** postgres.js returns the rows themselves, PGlite an object holding them. */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? result : (result as { rows: T[] }).rows;
}

/**
 * The reader's horizon, exclusive: the lowest revision whose writer may still commit, else one
 * past the last revision handed out. Every revision below it is committed or will never be. It
 * must be evaluated in the same statement as the rows it guards (one snapshot for both): a lease
 * of a lower revision committed before any later one was taken, so a snapshot that shows a
 * writer's rows shows every lease below them.
 */
export function revisionHorizon(): SQL {
  return sql`coalesce(
    (select min(${revisionLeases.firstRevision}) from ${revisionLeases}
      where not pg_visible_in_snapshot(${revisionLeases.xid}, pg_current_snapshot())),
    (select ${revisionCounter.value} + 1 from ${revisionCounter} where ${revisionCounter.id} = 1))`;
}

/** The read rule as a condition: `column` (a revision) is below the horizon. */
export function belowHorizon(column: PgColumn): SQL {
  return sql`${column} < ${revisionHorizon()}`;
}

/**
 * The highest revision a reader may return now (0 before the first write): every revision up to
 * it is settled, committed or never to commit. What a change notification may cover.
 */
export async function visibleHorizon(db: Queryable): Promise<number> {
  const [row] = rowsOf<{ horizon: string }>(
    await db.execute(sql`select (${revisionHorizon()} - 1)::text as horizon`),
  );
  if (!row) throw new Error("revision counter row is missing");
  return Number(row.horizon);
}
