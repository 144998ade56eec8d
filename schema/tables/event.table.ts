import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
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
    ...timestamps,
  },
  (table) => [index("events_organisation_start_idx").on(table.organisationId, table.start)],
);

export type EventRow = typeof events.$inferSelect;
