import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { organisationId } from "./columns.js";
import { webhooks } from "./webhook.table.js";

/** Every attempt to ping a webhook or notification URL; the last 100 per webhook are kept. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    organisationId: organisationId(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    // The `webhook-id` header: the same for every attempt of one ping.
    messageId: text("message_id").notNull(),
    coveredRevision: bigint("covered_revision", { mode: "number" }).notNull(),
    // 1 for the first attempt of a ping, 2 for its first retry, ...
    attempt: integer("attempt").notNull(),
    // The HTTP status, when an answer came; `error` otherwise (timeout, refused address, ...).
    status: integer("status"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (table) => [index("webhook_deliveries_webhook_at_idx").on(table.webhookId, table.at)],
);

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
