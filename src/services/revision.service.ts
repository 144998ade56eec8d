import { eq, sql } from "drizzle-orm";
import { revisionCounter } from "@/schema/tables/index.js";
import type { Tx } from "@/src/db/database.js";

/**
 * Takes `count` revisions from the deployment-wide counter inside the caller's transaction and
 * returns the first one.
 *
 * The counter row stays locked until the transaction commits or rolls back, so a second writer
 * waits, and revisions become visible strictly in the order they were handed out. A reader that has
 * seen revision N can therefore never later see a new revision below N commit (the "late commit"
 * that would otherwise be skipped by `fromRevision` paging). The price is that visitor and partner
 * writes are serialised: callers validate before they call this, so the lock is held only for the
 * write itself.
 */
export async function takeRevisions(tx: Tx, count = 1): Promise<number> {
  const [row] = await tx
    .update(revisionCounter)
    .set({ value: sql`${revisionCounter.value} + ${count}` })
    .where(eq(revisionCounter.id, 1))
    .returning({ value: revisionCounter.value });
  if (!row) throw new Error("revision counter row is missing");
  return row.value - count + 1;
}
