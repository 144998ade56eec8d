import { index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { organisationId } from "./columns.js";

export const API_CALL_TYPES = ["GRAPHQL", "JSON", "XML", "FUNCTION"] as const;

const usageColumns = {
  organisationId: organisationId(),
  // "key:<id>" or "user:<id>": statistics are per API key, or per user for session calls.
  principal: text("principal").notNull(),
  type: text("type", { enum: API_CALL_TYPES }).notNull(),
  start: timestamp("start", { withTimezone: true, mode: "date" }).notNull(),
  calls: integer("calls").notNull().default(0),
  clientErrors: integer("client_errors").notNull().default(0),
  serverErrors: integer("server_errors").notNull().default(0),
};

/** Per-minute call counts; pruned after STATS_MINUTE_RETENTION_DAYS (the daily table keeps the totals). */
export const apiUsageMinutes = pgTable("api_usage_minutes", usageColumns, (table) => [
  primaryKey({ columns: [table.organisationId, table.principal, table.type, table.start] }),
  index("api_usage_minutes_organisation_start_idx").on(table.organisationId, table.start),
]);

/** Per-day call counts, written together with the minutes; kept STATS_DAY_RETENTION_DAYS (>= 400). */
export const apiUsageDays = pgTable("api_usage_days", usageColumns, (table) => [
  primaryKey({ columns: [table.organisationId, table.principal, table.type, table.start] }),
  index("api_usage_days_organisation_start_idx").on(table.organisationId, table.start),
]);
