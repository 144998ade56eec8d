import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { organisations } from "./organisation.table.js";

export const FUNCTION_TYPES = ["BACKGROUND_TASK", "ENDPOINT"] as const;

export const functions = pgTable(
  "functions",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId().references(() => organisations.id),
    name: text("name").notNull(),
    type: text("type", { enum: FUNCTION_TYPES }).notNull(),
    // The URL segment of an endpoint (/functions/{key}); unique in the organisation.
    key: text("key"),
    code: text("code").notNull(),
    // The key the function runs as; not a foreign key, so deleting a key leaves the function, disabled in effect.
    apiKeyId: text("api_key_id").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    // state.get/set: one small JSON object per function, kept between runs.
    state: jsonb("state").$type<Record<string, unknown>>().notNull().default({}),
    lastSuccessAt: timestamp("last_success_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (table) => [
    uniqueIndex("functions_organisation_key_key").on(table.organisationId, table.key),
    index("functions_organisation_idx").on(table.organisationId),
    index("functions_type_enabled_idx").on(table.type, table.enabled),
  ],
);

export type FunctionRow = typeof functions.$inferSelect;
