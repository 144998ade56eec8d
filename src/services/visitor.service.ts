import { z } from "zod";
import { REGISTRATION_STATES, type VisitorAnswerValue, visitors } from "@/schema/tables/index.js";
import { type Actor, type OrganisationActor, requireDataWrite } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import type { RevisionAllocator } from "@/src/db/revisions.js";
import { AppError, invalidInput } from "@/src/errors/app-error.js";
import {
  type Contact,
  contactFromColumns,
  contactToColumns,
  EMPTY_CONTACT,
  mergeContact,
} from "./contact.mapper.js";
import type { EventService } from "./event.service.js";
import type { FeedSignal } from "./feed-signal.js";
import type { Question, QuestionService } from "./question.service.js";
import { MAX_BULK, RecordService } from "./record.service.js";
import type { RegistrationType, RegistrationTypeService } from "./registration-type.service.js";
import {
  collectInput,
  contactSchema,
  FieldErrors,
  onlyKeys,
  quickContact,
  quickId,
  quickText,
  REFUSED,
  text,
  withDefault,
  withoutNul,
} from "./validation.js";

type VisitorRow = typeof visitors.$inferSelect;
export type Visitor = Omit<VisitorRow, keyof ReturnType<typeof contactToColumns>> & { contact: Contact };

const answerSchema = z
  .object({
    questionId: z.string().min(1),
    answerIds: z.array(z.string()).max(500).nullish(),
    text: z
      .string()
      .max(20_000)
      .refine(...withoutNul)
      .nullish(),
  })
  .strict();

/**
 * The reference fields of an input that failed the schema, where their shape allows checking them
 * anyway: a client then learns about every invalid field at once, not in rounds.
 */
const referencesSchema = z
  .object({
    registrationTypeId: z.string().nullish().catch(undefined),
    answers: z
      .array(
        z.object({
          questionId: z.string(),
          answerIds: z.array(z.string()).nullish(),
          text: z.string().nullish(),
        }),
      )
      .nullish()
      .catch(undefined),
  })
  .catch({});

const visitorFields = {
  registrationState: z.enum(REGISTRATION_STATES),
  registrationTypeId: z.string().nullish(),
  reference: text.reference,
  contact: contactSchema.nullish(),
  answers: z.array(answerSchema).max(500).nullish(),
};

// A third party may create a partial registration and complete it later: INVITED unless told otherwise.
export const createVisitorSchema = z.object({
  ...visitorFields,
  registrationState: withDefault(visitorFields.registrationState, "INVITED"),
});
const updateVisitorSchema = z.object(visitorFields).partial();

export type CreateVisitorInput = z.input<typeof createVisitorSchema>;
type CreateVisitorValue = z.output<typeof createVisitorSchema>;
type AnswerValue = z.output<typeof answerSchema>;

const STATES: ReadonlySet<unknown> = new Set(REGISTRATION_STATES);
const ANSWER_KEYS = new Set(["questionId", "answerIds", "text"]);

/** Like `answerSchema` (see quickText in validation.ts). */
function quickAnswer(value: unknown): AnswerValue | typeof REFUSED {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return REFUSED;
  const answer = value as Record<string, unknown>;
  if (!onlyKeys(answer, ANSWER_KEYS)) return REFUSED;
  const { questionId, answerIds, text: answerText } = answer;
  if (typeof questionId !== "string" || questionId.length === 0) return REFUSED;
  const result: AnswerValue = { questionId };
  if (answerIds !== undefined) {
    if (answerIds !== null) {
      if (!Array.isArray(answerIds) || answerIds.length > 500) return REFUSED;
      for (const id of answerIds) if (typeof id !== "string") return REFUSED;
    }
    result.answerIds = answerIds as string[] | null;
  }
  if (answerText !== undefined) {
    if (answerText !== null && (typeof answerText !== "string" || answerText.length > 20_000)) return REFUSED;
    if (typeof answerText === "string" && answerText.includes("\u0000")) return REFUSED;
    result.text = answerText;
  }
  return result;
}

/**
 * What createVisitorSchema makes of a well-formed input, checked by hand; undefined when anything
 * is off, and the schema then decides (and words the errors).
 */
export function quickCreateVisitor(input: unknown): CreateVisitorValue | undefined {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  const fields = input as Record<string, unknown>;
  const state = fields.registrationState ?? "INVITED";
  if (!STATES.has(state)) return undefined;
  const value: CreateVisitorValue = { registrationState: state as CreateVisitorValue["registrationState"] };
  const typeId = quickId(fields.registrationTypeId);
  const reference = quickText(fields.reference);
  const contact = quickContact(fields.contact);
  if (typeId === REFUSED || reference === REFUSED || contact === REFUSED) return undefined;
  if (typeId !== undefined) value.registrationTypeId = typeId;
  if (reference !== undefined) value.reference = reference;
  if (contact !== undefined) value.contact = contact;
  const answers = fields.answers;
  if (answers !== undefined) {
    if (answers === null) value.answers = null;
    else {
      if (!Array.isArray(answers) || answers.length > 500) return undefined;
      const checked: AnswerValue[] = [];
      for (const answer of answers) {
        const result = quickAnswer(answer);
        if (result === REFUSED) return undefined;
        checked.push(result);
      }
      value.answers = checked;
    }
  }
  return value;
}
export type UpdateVisitorInput = z.input<typeof updateVisitorSchema>;

/** Field by field, not with a rest pattern: a page maps 100 of these and a bulk 1,000 (see insertMany). */
export function toVisitor(row: VisitorRow): Visitor {
  return {
    id: row.id,
    organisationId: row.organisationId,
    eventId: row.eventId,
    registrationState: row.registrationState,
    registrationTypeId: row.registrationTypeId,
    reference: row.reference,
    answers: row.answers,
    revision: row.revision,
    deleted: row.deleted,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    contact: contactFromColumns(row),
  };
}

type ValidationContext = { types: Map<string, RegistrationType>; questions: Question[] };

export class VisitorService extends RecordService<typeof visitors, Visitor> {
  constructor(
    db: Db,
    revisions: RevisionAllocator,
    events: EventService,
    private readonly registrationTypes: RegistrationTypeService,
    private readonly questions: QuestionService,
    feedSignal: FeedSignal,
  ) {
    super(db, revisions, events, visitors, "VISITOR", toVisitor, feedSignal);
  }

  async create(actor: Actor, eventId: string, input: CreateVisitorInput): Promise<Visitor> {
    const [visitor] = await this.createMany(actor, eventId, [input], false);
    return visitor;
  }

  /**
   * Creates up to MAX_BULK visitors in one transaction, all or nothing. In bulk, each error names
   * its input: `inputs.<index>.<field>`.
   */
  async createMany(actor: Actor, eventId: string, inputs: readonly CreateVisitorInput[], bulk = true) {
    const org = requireDataWrite(actor);
    const scope = await this.scope(org, eventId);
    if (inputs.length === 0 || inputs.length > MAX_BULK) {
      throw invalidInput([{ field: "inputs", message: `must hold 1 to ${MAX_BULK} visitors` }]);
    }
    const errors = new FieldErrors();
    const context = await this.validationContext(org, eventId);
    const values = inputs.map((input, index) => {
      const prefix = bulk ? `inputs.${index}` : "";
      const value = quickCreateVisitor(input) ?? collectInput(createVisitorSchema, input, prefix, errors);
      if (!value) {
        this.checkReferences(context, referencesSchema.parse(input), errors, prefix);
        return undefined;
      }
      const answers = this.checkReferences(context, value, errors, prefix);
      // Set on the columns object rather than spread into a literal (see insertMany).
      return Object.assign(contactToColumns(mergeContact(EMPTY_CONTACT, value.contact)), {
        registrationState: value.registrationState,
        registrationTypeId: value.registrationTypeId ?? null,
        reference: value.reference ?? null,
        answers,
      });
    });
    errors.throwIfAny();
    const rows = await this.store.insertMany(
      scope,
      values.filter((value) => value !== undefined),
    );
    return rows.map(toVisitor);
  }

  async update(actor: Actor, eventId: string, id: string, input: UpdateVisitorInput): Promise<Visitor> {
    const org = requireDataWrite(actor);
    const scope = await this.scope(org, eventId);
    const errors = new FieldErrors();
    const parsed = collectInput(updateVisitorSchema, input, "", errors);
    const context = await this.validationContext(org, eventId);
    const answers = this.checkReferences(context, parsed ?? referencesSchema.parse(input), errors, "");
    errors.throwIfAny();
    // collectInput recorded why whenever it returned nothing, so throwIfAny has thrown.
    if (parsed === undefined)
      throw new AppError("INTERNAL_SERVER_ERROR", "The input was neither parsed nor refused");
    const value = parsed;
    const row = await this.store.update(scope, id, (current) => ({
      ...(value.registrationState !== undefined && { registrationState: value.registrationState }),
      ...(value.registrationTypeId !== undefined && { registrationTypeId: value.registrationTypeId }),
      ...(value.reference !== undefined && { reference: value.reference }),
      ...(value.answers !== undefined && { answers }),
      ...contactToColumns(mergeContact(contactFromColumns(current), value.contact)),
    }));
    return toVisitor(row);
  }

  /** Everything a batch of inputs is checked against, loaded once per call. */
  private async validationContext(org: OrganisationActor, eventId: string): Promise<ValidationContext> {
    const [types, questions] = await Promise.all([
      this.registrationTypes.usableIn(org, eventId),
      this.questions.forEvent(eventId),
    ]);
    return { types, questions };
  }

  private checkReferences(
    context: ValidationContext,
    value: { registrationTypeId?: string | null; answers?: z.infer<typeof answerSchema>[] | null },
    errors: FieldErrors,
    prefix: string,
  ): VisitorAnswerValue[] {
    const field = (name: string) => (prefix ? `${prefix}.${name}` : name);
    this.registrationTypes.checkUsable(
      context.types,
      value.registrationTypeId,
      "VISITOR",
      errors,
      field("registrationTypeId"),
    );
    const answers = (value.answers ?? []).map((answer) => ({
      questionId: answer.questionId,
      ...(answer.answerIds != null && { answerIds: answer.answerIds }),
      ...(answer.text != null && { text: answer.text }),
    }));
    return this.questions.checkAnswers(context.questions, answers, errors, field("answers"));
  }
}
