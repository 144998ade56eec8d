import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { organisationId } from "./columns.js";

export const API_KEY_AUDIT_ACTIONS = ["CREATED", "UPDATED", "DISABLED", "ENABLED", "DELETED"] as const;

/** Who created, changed, disabled or deleted which key, and when. Kept after the key is deleted. */
export const apiKeyAudit = pgTable(
  "api_key_audit",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId(),
    apiKeyId: text("api_key_id").notNull(),
    action: text("action", { enum: API_KEY_AUDIT_ACTIONS }).notNull(),
    userId: text("user_id"),
    // Field name -> { from, to }; never a secret.
    changes: jsonb("changes").$type<Record<string, { from: unknown; to: unknown }>>().notNull().default({}),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    index("api_key_audit_organisation_at_idx").on(table.organisationId, table.at),
    index("api_key_audit_key_idx").on(table.apiKeyId, table.at),
  ],
);

export type ApiKeyAuditRow = typeof apiKeyAudit.$inferSelect;
