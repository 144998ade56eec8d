import { index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { organisationId } from "./columns.js";
import { questions } from "./question.table.js";

/** The answers a choice question offers (a visitor's own answers live on the visitor). */
export const questionAnswers = pgTable(
  "question_answers",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId(),
    questionId: text("question_id")
      .notNull()
      .references(() => questions.id, { onDelete: "cascade" }),
    text: text("text").notNull(),
    position: integer("position").notNull().default(0),
    reference: text("reference"),
  },
  (table) => [index("question_answers_question_idx").on(table.questionId, table.position)],
);

export type QuestionAnswerRow = typeof questionAnswers.$inferSelect;
