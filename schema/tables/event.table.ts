import { bigint, index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { organisations } from "./organisation.table.js";

export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId().references(() => organisations.id),
    name: text("name").notNull(),
    description: text("description"),
    reference: text("reference"),
    start: timestamp("start", { withTimezone: true, mode: "date" }).notNull(),
    end: timestamp("end", { withTimezone: true, mode: "date" }).notNull(),
    timezone: text("timezone").notNull(),
    contactEmail: text("contact_email"),
    /** From the deployment-wide counter on create and update, so expos page like visitors (SPEC section 9). */
    revision: bigint("revision", { mode: "number" }).notNull(),
    ...timestamps,
  },
  (table) => [
    index("events_organisation_start_idx").on(table.organisationId, table.start),
    uniqueIndex("events_revision_key").on(table.revision),
    index("events_organisation_revision_idx").on(table.organisationId, table.revision),
  ],
);

export type EventRow = typeof events.$inferSelect;
