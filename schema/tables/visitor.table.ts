import { sql } from "drizzle-orm";
import { bigint, boolean, index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { contactColumns } from "./contact.columns.js";
import { events } from "./event.table.js";

export const REGISTRATION_STATES = [
  "INVITED",
  "REGISTERING",
  "STOPPED",
  "REGISTERED",
  "PENDING_CONFIRMATION",
  "HOLD",
  "DENIED",
  "CANCELLED",
] as const;
export type RegistrationStateValue = (typeof REGISTRATION_STATES)[number];

export type VisitorAnswerValue = { questionId: string; answerIds?: string[]; text?: string };

export const visitors = pgTable(
  "visitors",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id),
    registrationState: text("registration_state", { enum: REGISTRATION_STATES }).notNull(),
    registrationTypeId: text("registration_type_id"),
    reference: text("reference"),
    ...contactColumns,
    answers: jsonb("answers").$type<VisitorAnswerValue[]>().notNull().default([]),
    revision: bigint("revision", { mode: "number" }).notNull(),
    deleted: boolean("deleted").notNull().default(false),
    ...timestamps,
  },
  (table) => [
    uniqueIndex("visitors_revision_key").on(table.revision),
    index("visitors_event_revision_idx").on(table.eventId, table.revision),
    index("visitors_event_state_idx").on(table.eventId, table.registrationState, table.revision),
    index("visitors_event_contact_reference_idx").on(table.eventId, table.contactReference),
    index("visitors_organisation_email_idx").on(table.organisationId, table.contactEmail),
    // The notification URL's cursor walks an organisation's REGISTERED visitors in revision order.
    index("visitors_organisation_registered_idx")
      .on(table.organisationId, table.revision)
      .where(sql`${table.registrationState} = 'REGISTERED' AND NOT ${table.deleted}`),
  ],
);

export type VisitorRow = typeof visitors.$inferSelect;
