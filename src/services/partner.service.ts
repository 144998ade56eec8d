import { z } from "zod";
import { partners, type StaffValue } from "@/schema/tables/index.js";
import { type Actor, requireDataWrite } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import type { RevisionAllocator } from "@/src/db/revisions.js";
import { AppError, invalidInput } from "@/src/errors/app-error.js";
import type { FeedArgs } from "./change-feed.js";
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
import { MAX_BULK, RecordService } from "./record.service.js";
import type { RegistrationType, RegistrationTypeService } from "./registration-type.service.js";
import { collectInput, contactSchema, FieldErrors, text } from "./validation.js";

type PartnerRow = typeof partners.$inferSelect;
export type Partner = Omit<PartnerRow, keyof ReturnType<typeof contactToColumns> | "staff"> & {
  contact: Contact;
  staff: Contact[];
};

const partnerFields = {
  name: text.name,
  registrationTypeId: z.string().nullish(),
  reference: text.reference,
  contact: contactSchema.nullish(),
  stand: text.short,
  hall: text.short,
  website: text.url,
  description: text.long,
  staff: z.array(contactSchema).max(1_000).nullish(),
};

const createPartnerSchema = z.object(partnerFields);
/** The type of an input that failed the schema, when it is a string: checked anyway, so every error is named at once. */
const typeOfInvalid = z.object({ registrationTypeId: z.string().nullish().catch(undefined) }).catch({});
const updatePartnerSchema = z.object(partnerFields).partial();

export type CreatePartnerInput = z.input<typeof createPartnerSchema>;
export type UpdatePartnerInput = z.input<typeof updatePartnerSchema>;

const toStaff = (staff: readonly z.infer<typeof contactSchema>[] | null | undefined): StaffValue[] =>
  (staff ?? []).map((member) => mergeContact(EMPTY_CONTACT, member));

export function toPartner(row: PartnerRow): Partner {
  const {
    contact,
    rest: { staff, ...rest },
  } = splitContact(row);
  return { ...rest, contact, staff: staff.map((member) => mergeContact(EMPTY_CONTACT, member)) };
}

export class PartnerService extends RecordService<typeof partners, Partner> {
  constructor(
    db: Db,
    revisions: RevisionAllocator,
    events: EventService,
    private readonly registrationTypes: RegistrationTypeService,
    feedSignal: FeedSignal,
  ) {
    super(db, revisions, events, partners, "PARTNER", toPartner, feedSignal);
  }

  /** Partners have no registration state. */
  protected override feedArgs(args: FeedArgs): FeedArgs {
    return { ...args, filter: { ...args.filter, registrationStates: null } };
  }

  async create(actor: Actor, eventId: string, input: CreatePartnerInput): Promise<Partner> {
    const [partner] = await this.createMany(actor, eventId, [input], false);
    return partner;
  }

  /** Creates up to MAX_BULK partners in one transaction, all or nothing; errors name `inputs.<index>`. */
  async createMany(actor: Actor, eventId: string, inputs: readonly CreatePartnerInput[], bulk = true) {
    const org = requireDataWrite(actor);
    const scope = await this.scope(org, eventId);
    if (inputs.length === 0 || inputs.length > MAX_BULK) {
      throw invalidInput([{ field: "inputs", message: `must hold 1 to ${MAX_BULK} partners` }]);
    }
    const errors = new FieldErrors();
    const types = await this.registrationTypes.usableIn(org, eventId);
    const values = inputs.map((input, index) => {
      const prefix = bulk ? `inputs.${index}` : "";
      const value = collectInput(createPartnerSchema, input, prefix, errors);
      if (!value) {
        this.checkType(types, typeOfInvalid.parse(input).registrationTypeId, errors, prefix);
        return undefined;
      }
      this.checkType(types, value.registrationTypeId, errors, prefix);
      return {
        name: value.name,
        registrationTypeId: value.registrationTypeId ?? null,
        reference: value.reference ?? null,
        ...contactToColumns(mergeContact(EMPTY_CONTACT, value.contact)),
        stand: value.stand ?? null,
        hall: value.hall ?? null,
        website: value.website ?? null,
        description: value.description ?? null,
        staff: toStaff(value.staff),
      };
    });
    errors.throwIfAny();
    const rows = await this.store.insertMany(
      scope,
      values.filter((value) => value !== undefined),
    );
    return rows.map(toPartner);
  }

  async update(actor: Actor, eventId: string, id: string, input: UpdatePartnerInput): Promise<Partner> {
    const org = requireDataWrite(actor);
    const scope = await this.scope(org, eventId);
    const errors = new FieldErrors();
    const parsed = collectInput(updatePartnerSchema, input, "", errors);
    const typeId = (parsed ?? typeOfInvalid.parse(input)).registrationTypeId;
    this.checkType(await this.registrationTypes.usableIn(org, eventId), typeId, errors, "");
    errors.throwIfAny();
    // collectInput recorded why whenever it returned nothing, so throwIfAny has thrown.
    if (parsed === undefined)
      throw new AppError("INTERNAL_SERVER_ERROR", "The input was neither parsed nor refused");
    const value = parsed;
    const row = await this.store.update(scope, id, (current) => ({
      ...(value.name !== undefined && { name: value.name }),
      ...(value.registrationTypeId !== undefined && { registrationTypeId: value.registrationTypeId }),
      ...(value.reference !== undefined && { reference: value.reference }),
      ...(value.stand !== undefined && { stand: value.stand }),
      ...(value.hall !== undefined && { hall: value.hall }),
      ...(value.website !== undefined && { website: value.website }),
      ...(value.description !== undefined && { description: value.description }),
      ...(value.staff !== undefined && { staff: toStaff(value.staff) }),
      ...contactToColumns(mergeContact(contactFromColumns(current), value.contact)),
    }));
    return toPartner(row);
  }

  private checkType(
    types: Map<string, RegistrationType>,
    typeId: string | null | undefined,
    errors: FieldErrors,
    prefix: string,
  ) {
    const field = prefix ? `${prefix}.registrationTypeId` : "registrationTypeId";
    this.registrationTypes.checkUsable(types, typeId, "PARTNER", errors, field);
  }
}
