import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { organisationId } from "./columns.js";

export const WEBHOOK_AUDIT_ACTIONS = [
  "CREATED",
  "UPDATED",
  "ENABLED",
  "DISABLED",
  "RESET",
  "DELETED",
] as const;

/**
 * Who created, changed, reset or deleted which webhook (or notification URL), and when. Kept after
 * the webhook is deleted. API keys manage webhooks too, so the actor is a user or a key.
 */
export const webhookAudit = pgTable(
  "webhook_audit",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId(),
    webhookId: text("webhook_id").notNull(),
    // Null for the notification URL.
    eventId: text("event_id"),
    action: text("action", { enum: WEBHOOK_AUDIT_ACTIONS }).notNull(),
    userId: text("user_id"),
    apiKeyId: text("api_key_id"),
    // Field name -> { from, to }; never the secret.
    changes: jsonb("changes").$type<Record<string, { from: unknown; to: unknown }>>().notNull().default({}),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    index("webhook_audit_organisation_at_idx").on(table.organisationId, table.at),
    index("webhook_audit_webhook_idx").on(table.webhookId, table.at),
  ],
);

export type WebhookAuditRow = typeof webhookAudit.$inferSelect;
