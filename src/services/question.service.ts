import { asc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { questionAnswers, questions } from "@/schema/tables/index.js";
import type { VisitorAnswerValue } from "@/schema/tables/visitor.table.js";
import { type Actor, requireDataRead, requireDataWrite } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import type { EventService } from "./event.service.js";
import { newId } from "./ids.js";
import { type FieldErrors, parseInput, text, withDefault } from "./validation.js";

export type QuestionAnswer = typeof questionAnswers.$inferSelect;
export type Question = typeof questions.$inferSelect & { answers: QuestionAnswer[] };
export type QuestionKind = Question["kind"];

const createQuestionSchema = z
  .object({
    text: text.name,
    kind: z.enum(["SINGLE_CHOICE", "MULTIPLE_CHOICE", "TEXT"]),
    required: withDefault(z.boolean(), false),
    reference: text.reference,
    answers: withDefault(z.array(z.object({ text: text.name, reference: text.reference })).max(500), []),
  })
  .superRefine((value, ctx) => {
    if (value.kind === "TEXT" && value.answers.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["answers"],
        message: "a TEXT question has no answers to choose from",
      });
    }
    if (value.kind !== "TEXT" && value.answers.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["answers"],
        message: "a choice question needs at least one answer",
      });
    }
  });

export type CreateQuestionInput = z.input<typeof createQuestionSchema>;

export class QuestionService {
  constructor(
    private readonly db: Db,
    private readonly events: EventService,
  ) {}

  async list(actor: Actor, eventId: string): Promise<Question[]> {
    const org = requireDataRead(actor);
    await this.events.checkVisible(org, eventId);
    return this.forEvent(eventId);
  }

  async forEvent(eventId: string): Promise<Question[]> {
    return (await this.forEvents([eventId])).get(eventId) ?? [];
  }

  /** The questions of several events in two statements, for batch loaders. Callers check visibility. */
  async forEvents(eventIds: readonly string[]): Promise<Map<string, Question[]>> {
    const rows = await this.db
      .select()
      .from(questions)
      .where(inArray(questions.eventId, [...eventIds]))
      .orderBy(asc(questions.position), asc(questions.id));
    const answers =
      rows.length === 0
        ? []
        : await this.db
            .select()
            .from(questionAnswers)
            .where(
              inArray(
                questionAnswers.questionId,
                rows.map((row) => row.id),
              ),
            )
            .orderBy(asc(questionAnswers.position));
    const byEvent = new Map<string, Question[]>(eventIds.map((id) => [id, []]));
    for (const row of rows) {
      byEvent
        .get(row.eventId)
        ?.push({ ...row, answers: answers.filter((answer) => answer.questionId === row.id) });
    }
    return byEvent;
  }

  async create(actor: Actor, eventId: string, input: CreateQuestionInput): Promise<Question> {
    const org = requireDataWrite(actor);
    await this.events.checkVisible(org, eventId);
    const value = parseInput(createQuestionSchema, input);
    return this.db.transaction(async (tx) => {
      const existing = await tx
        .select({ id: questions.id })
        .from(questions)
        .where(eq(questions.eventId, eventId));
      const [question] = await tx
        .insert(questions)
        .values({
          id: newId(),
          organisationId: org.organisationId,
          eventId,
          text: value.text,
          kind: value.kind,
          required: value.required,
          reference: value.reference,
          position: existing.length,
        })
        .returning();
      const answers =
        value.answers.length === 0
          ? []
          : await tx
              .insert(questionAnswers)
              .values(
                value.answers.map((answer, position) => ({
                  id: newId(),
                  organisationId: org.organisationId,
                  questionId: question.id,
                  text: answer.text,
                  reference: answer.reference,
                  position,
                })),
              )
              .returning();
      return { ...question, answers };
    });
  }

  /**
   * Checks a visitor's answers against the event's questions, adding every problem to `errors`,
   * and returns them normalised (choices de-duplicated).
   */
  checkAnswers(
    eventQuestions: readonly Question[],
    answers: readonly VisitorAnswerValue[],
    errors: FieldErrors,
    field: string,
  ): VisitorAnswerValue[] {
    const byId = new Map(eventQuestions.map((question) => [question.id, question]));
    const seen = new Set<string>();
    const result: VisitorAnswerValue[] = [];
    for (const [index, answer] of answers.entries()) {
      const at = `${field}.${index}`;
      const question = byId.get(answer.questionId);
      if (!question) {
        errors.add(`${at}.questionId`, "is not a question of this event");
        continue;
      }
      if (seen.has(question.id)) {
        errors.add(`${at}.questionId`, "is answered more than once");
        continue;
      }
      seen.add(question.id);
      if (question.kind === "TEXT") {
        if (answer.answerIds?.length)
          errors.add(`${at}.answerIds`, "a TEXT question takes text, not answerIds");
        if (answer.text == null) errors.add(`${at}.text`, "is required for a TEXT question");
        result.push({ questionId: question.id, text: answer.text ?? "" });
        continue;
      }
      if (answer.text != null) errors.add(`${at}.text`, "a choice question takes answerIds, not text");
      const valid = new Set(question.answers.map((option) => option.id));
      // Positions are those of the caller's input, before repeated ids are collapsed.
      (answer.answerIds ?? []).forEach((id, position) => {
        if (!valid.has(id)) errors.add(`${at}.answerIds.${position}`, "is not an answer of this question");
      });
      const ids = [...new Set(answer.answerIds ?? [])];
      if (question.kind === "SINGLE_CHOICE" && ids.length > 1) {
        errors.add(`${at}.answerIds`, "a SINGLE_CHOICE question takes one answer");
      }
      result.push({ questionId: question.id, answerIds: ids });
    }
    return result;
  }
}
