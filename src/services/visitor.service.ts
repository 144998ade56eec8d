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
  splitContact,
} from "./contact.mapper.js";
import type { EventService } from "./event.service.js";
import type { FeedSignal } from "./feed-signal.js";
import type { Question, QuestionService } from "./question.service.js";
import { MAX_BULK, RecordService } from "./record.service.js";
import type { RegistrationType, RegistrationTypeService } from "./registration-type.service.js";
import { collectInput, contactSchema, FieldErrors, text, withDefault, withoutNul } from "./validation.js";

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
const createVisitorSchema = z.object({
  ...visitorFields,
  registrationState: withDefault(visitorFields.registrationState, "INVITED"),
});
const updateVisitorSchema = z.object(visitorFields).partial();

export type CreateVisitorInput = z.input<typeof createVisitorSchema>;
export type UpdateVisitorInput = z.input<typeof updateVisitorSchema>;

export function toVisitor(row: VisitorRow): Visitor {
  const { contact, rest } = splitContact(row);
  return { ...rest, contact };
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
      const value = collectInput(createVisitorSchema, input, prefix, errors);
      if (!value) {
        this.checkReferences(context, referencesSchema.parse(input), errors, prefix);
        return undefined;
      }
      return {
        registrationState: value.registrationState,
        registrationTypeId: value.registrationTypeId ?? null,
        reference: value.reference ?? null,
        ...contactToColumns(mergeContact(EMPTY_CONTACT, value.contact)),
        answers: this.checkReferences(context, value, errors, prefix),
      };
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
