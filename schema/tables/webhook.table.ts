import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { events } from "./event.table.js";
import { organisations } from "./organisation.table.js";

export const WEBHOOK_TYPES = ["VISITOR", "PARTNER"] as const;
export type WebhookTypeValue = (typeof WEBHOOK_TYPES)[number];
/** What a row delivers: an event's webhook of one record type, or the organisation's notification URL. */
export const DELIVERY_KINDS = [...WEBHOOK_TYPES, "NOTIFICATION_URL"] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];
export const WEBHOOK_STATES = ["WAIT", "ERROR"] as const;

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * Webhooks (SPEC section 10) and, as a row of type NOTIFICATION_URL without an event, each
 * organisation's notification URL: both are delivered by the same engine with the same ladder,
 * error state, secret and log. The change feed is the outbox: a row holds only a cursor
 * (`delivered_revision`) and the ping in flight, never a queue of events.
 */
export const webhooks = pgTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId().references(() => organisations.id),
    eventId: text("event_id").references(() => events.id),
    type: text("type", { enum: DELIVERY_KINDS }).notNull(),
    url: text("url").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    state: text("state", { enum: WEBHOOK_STATES }).notNull().default("WAIT"),
    // Failed attempts of the current ping: the step of the retry ladder. Zero after an ack or a reset.
    errorCount: integer("error_count").notNull().default(0),
    // Every change up to here has been acknowledged by the receiver.
    deliveredRevision: bigint("delivered_revision", { mode: "number" }).notNull(),
    // The ping in flight (sent or waiting for a retry) covers changes up to here; null: none.
    coveredRevision: bigint("covered_revision", { mode: "number" }),
    // NOTIFICATION_URL: the visitor (and its event) the ping in flight is about.
    pingEventId: text("ping_event_id"),
    pingRecordId: text("ping_record_id"),
    // Set while an attempt is out; only its holder may record the outcome.
    attemptId: text("attempt_id"),
    // When the ping in flight may be attempted (again). While an attempt is out: its lease, after
    // which an instance that died mid-attempt is presumed dead and the attempt is repeated.
    nextAttemptAt: at("next_attempt_at"),
    lastSentAt: at("last_sent_at"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    // The signing secret, encrypted (AES-256-GCM, see webhook-secret.ts); shown once at creation.
    secret: text("secret").notNull(),
    ...timestamps,
  },
  (table) => [
    index("webhooks_event_type_idx").on(table.eventId, table.type),
    index("webhooks_organisation_idx").on(table.organisationId),
    uniqueIndex("webhooks_notification_url_key")
      .on(table.organisationId)
      .where(sql`${table.type} = 'NOTIFICATION_URL'`),
    check("webhooks_event_by_type", sql`(${table.type} = 'NOTIFICATION_URL') = (${table.eventId} IS NULL)`),
  ],
);

export type WebhookRow = typeof webhooks.$inferSelect;
