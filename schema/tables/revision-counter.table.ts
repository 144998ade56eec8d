import { bigint, integer, pgTable } from "drizzle-orm/pg-core";

/**
 * The one deployment-wide revision counter (a single row). Writers take a block of revisions with
 * `UPDATE ... SET value = value + n RETURNING value`; on PostgreSQL in a short statement of its own
 * that also records a lease (revision-lease.table.ts), see src/db/revisions.ts.
 */
export const revisionCounter = pgTable("revision_counter", {
  id: integer("id").primaryKey(),
  value: bigint("value", { mode: "number" }).notNull(),
});
