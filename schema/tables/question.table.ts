import { boolean, index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { events } from "./event.table.js";

export const questions = pgTable(
  "questions",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId(),
    eventId: text("event_id")
      .notNull()
      .references(() => events.id),
    text: text("text").notNull(),
    kind: text("kind", { enum: ["SINGLE_CHOICE", "MULTIPLE_CHOICE", "TEXT"] }).notNull(),
    required: boolean("required").notNull().default(false),
    position: integer("position").notNull().default(0),
    reference: text("reference"),
    ...timestamps,
  },
  (table) => [index("questions_event_idx").on(table.eventId, table.position)],
);

export type QuestionRow = typeof questions.$inferSelect;
