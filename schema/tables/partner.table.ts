import { bigint, boolean, index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { type AddressValue, contactColumns } from "./contact.columns.js";
import { events } from "./event.table.js";

export type StaffValue = {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  company?: string | null;
  jobTitle?: string | null;
  phone?: string | null;
  reference?: string | null;
  address?: AddressValue | null;
};

export const partners = pgTable(
  "partners",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id),
    name: text("name").notNull(),
    registrationTypeId: text("registration_type_id"),
    reference: text("reference"),
    ...contactColumns,
    stand: text("stand"),
    hall: text("hall"),
    website: text("website"),
    description: text("description"),
    staff: jsonb("staff").$type<StaffValue[]>().notNull().default([]),
    revision: bigint("revision", { mode: "number" }).notNull(),
    deleted: boolean("deleted").notNull().default(false),
    ...timestamps,
  },
  (table) => [
    uniqueIndex("partners_revision_key").on(table.revision),
    index("partners_event_revision_idx").on(table.eventId, table.revision),
    index("partners_event_contact_reference_idx").on(table.eventId, table.contactReference),
    index("partners_organisation_email_idx").on(table.organisationId, table.contactEmail),
  ],
);

export type PartnerRow = typeof partners.$inferSelect;
