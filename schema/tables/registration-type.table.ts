import { index, pgTable, text } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { events } from "./event.table.js";
import { organisations } from "./organisation.table.js";

export const registrationTypes = pgTable(
  "registration_types",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId().references(() => organisations.id),
    // Null: the type belongs to the whole organisation and is usable in every event.
    eventId: text("event_id").references(() => events.id),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["VISITOR", "PARTNER"] }).notNull(),
    reference: text("reference"),
    ...timestamps,
  },
  (table) => [index("registration_types_organisation_event_idx").on(table.organisationId, table.eventId)],
);

export type RegistrationTypeRow = typeof registrationTypes.$inferSelect;
