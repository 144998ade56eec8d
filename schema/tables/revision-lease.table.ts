import { bigint, customType, pgTable } from "drizzle-orm/pg-core";

/** PostgreSQL's 64-bit transaction id (`pg_current_xact_id()`): unlike `xid` it never wraps around. */
const xid8 = customType<{ data: string }>({ dataType: () => "xid8" });

/**
 * Revisions handed out to writers that may still be running (PostgreSQL server only). A lease is
 * committed before its writer stores the revisions, under the counter's row lock, so leases appear
 * in revision order; readers hide every revision from the lowest lease whose writer transaction
 * (`xid`) is still in progress (see src/db/revisions.ts). Finished writers' leases are purged by
 * later allocations.
 */
export const revisionLeases = pgTable("revision_leases", {
  firstRevision: bigint("first_revision", { mode: "number" }).primaryKey(),
  xid: xid8("xid").notNull(),
});
