import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { organisationId } from "./columns.js";

export const FUNCTION_TRIGGERS = ["SCHEDULE", "ENDPOINT", "MANUAL"] as const;
// RUNNING until the run ends; a run whose worker died is closed as FAILED by the next one.
export const FUNCTION_RUN_STATUSES = [
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "OUT_OF_MEMORY",
] as const;

export const functionRuns = pgTable(
  "function_runs",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId(),
    functionId: text("function_id").notNull(),
    trigger: text("trigger", { enum: FUNCTION_TRIGGERS }).notNull(),
    status: text("status", { enum: FUNCTION_RUN_STATUSES }).notNull(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    durationMs: integer("duration_ms"),
    logs: text("logs").notNull().default(""),
    error: text("error"),
  },
  (table) => [
    index("function_runs_function_started_idx").on(table.functionId, table.startedAt),
    index("function_runs_started_idx").on(table.startedAt),
  ],
);

export type FunctionRunRow = typeof functionRuns.$inferSelect;
