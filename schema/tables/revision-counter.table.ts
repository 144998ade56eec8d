import { bigint, integer, pgTable } from "drizzle-orm/pg-core";

/**
 * The one deployment-wide revision counter. Writers take a block with
 * `UPDATE ... SET value = value + n RETURNING value`; the row lock is held until commit, so
 * revisions become visible in the order they were handed out (see revision.service.ts).
 */
export const revisionCounter = pgTable("revision_counter", {
  id: integer("id").primaryKey(),
  value: bigint("value", { mode: "number" }).notNull(),
});
