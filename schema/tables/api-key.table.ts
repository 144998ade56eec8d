import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { organisations } from "./organisation.table.js";

export const API_KEY_STATES = ["ACTIVE", "DISABLED"] as const;

export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId().references(() => organisations.id),
    // SHA-256 of the secret: the secret itself is shown once at creation and never stored.
    secretHash: text("secret_hash").notNull(),
    prefix: text("prefix").notNull(),
    state: text("state", { enum: API_KEY_STATES }).notNull(),
    comments: text("comments"),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    allowedIps: text("allowed_ips").array().notNull().default([]),
    eventIds: text("event_ids").array().notNull().default([]),
    canWrite: boolean("can_write").notNull().default(false),
    contactName: text("contact_name"),
    contactEmail: text("contact_email"),
    contactPhone: text("contact_phone"),
    // Null: the deployment's defaults (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_CONCURRENCY).
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    concurrencyLimit: integer("concurrency_limit"),
    createdBy: text("created_by"),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (table) => [
    uniqueIndex("api_keys_secret_hash_key").on(table.secretHash),
    index("api_keys_organisation_idx").on(table.organisationId),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
