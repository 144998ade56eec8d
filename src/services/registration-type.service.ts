import { and, asc, eq, inArray, isNull, or } from "drizzle-orm";
import { z } from "zod";
import { registrationTypes } from "@/schema/tables/index.js";
import {
  type Actor,
  canSeeEvent,
  type OrganisationActor,
  requireDataRead,
  requireDataWrite,
} from "@/src/auth/actor.js";
import type { Queryable } from "@/src/db/database.js";
import { forbidden } from "@/src/errors/app-error.js";
import type { EventService } from "./event.service.js";
import { newId } from "./ids.js";
import { type FieldErrors, parseInput, text } from "./validation.js";

export type RegistrationType = typeof registrationTypes.$inferSelect;
export type RegistrationKind = RegistrationType["kind"];

const createRegistrationTypeSchema = z.object({
  name: text.name,
  kind: z.enum(["VISITOR", "PARTNER"]),
  reference: text.reference,
});

export type CreateRegistrationTypeInput = z.input<typeof createRegistrationTypeSchema>;

export class RegistrationTypeService {
  constructor(
    private readonly db: Queryable,
    private readonly events: EventService,
  ) {}

  /** An event's types and the organisation-wide ones; without an event, the organisation-wide ones. */
  async list(actor: Actor, eventId?: string | null): Promise<RegistrationType[]> {
    const org = requireDataRead(actor);
    if (eventId) await this.events.checkVisible(org, eventId);
    return this.db
      .select()
      .from(registrationTypes)
      .where(
        and(
          eq(registrationTypes.organisationId, org.organisationId),
          eventId
            ? or(isNull(registrationTypes.eventId), eq(registrationTypes.eventId, eventId))
            : isNull(registrationTypes.eventId),
        ),
      )
      .orderBy(asc(registrationTypes.name), asc(registrationTypes.id));
  }

  /**
   * For batch loaders: each event's own types plus the organisation-wide ones, in one statement.
   * The events were already resolved for this actor, so visibility is not checked again.
   */
  async forEvents(
    actor: OrganisationActor,
    eventIds: readonly string[],
  ): Promise<Map<string, RegistrationType[]>> {
    const rows = await this.db
      .select()
      .from(registrationTypes)
      .where(
        and(
          eq(registrationTypes.organisationId, actor.organisationId),
          or(isNull(registrationTypes.eventId), inArray(registrationTypes.eventId, [...eventIds])),
        ),
      )
      .orderBy(asc(registrationTypes.name), asc(registrationTypes.id));
    return new Map(
      eventIds.map((eventId) => [
        eventId,
        rows.filter((row) => row.eventId === null || row.eventId === eventId),
      ]),
    );
  }

  async create(actor: Actor, eventId: string | null | undefined, input: CreateRegistrationTypeInput) {
    const org = requireDataWrite(actor);
    if (eventId) await this.events.checkVisible(org, eventId);
    else if (org.kind === "apiKey" && org.eventIds.length > 0) {
      throw forbidden("EVENT_NOT_ALLOWED", "An event-scoped API key cannot create organisation-wide types");
    }
    const value = parseInput(createRegistrationTypeSchema, input);
    const [row] = await this.db
      .insert(registrationTypes)
      .values({ id: newId(), organisationId: org.organisationId, eventId: eventId ?? null, ...value })
      .returning();
    return row;
  }

  /** Batch look-up for field resolvers (one query per page, not per row). Scope-filtered. */
  async byIds(actor: OrganisationActor, ids: readonly string[]): Promise<Map<string, RegistrationType>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(registrationTypes)
      .where(
        and(
          eq(registrationTypes.organisationId, actor.organisationId),
          inArray(registrationTypes.id, [...ids]),
        ),
      );
    return new Map(
      rows
        .filter((row) => row.eventId === null || canSeeEvent(actor, row.eventId))
        .map((row) => [row.id, row]),
    );
  }

  /** The types usable in an event (its own and the organisation-wide ones), loaded once per write. */
  async usableIn(actor: OrganisationActor, eventId: string): Promise<Map<string, RegistrationType>> {
    const rows = await this.db
      .select()
      .from(registrationTypes)
      .where(
        and(
          eq(registrationTypes.organisationId, actor.organisationId),
          or(isNull(registrationTypes.eventId), eq(registrationTypes.eventId, eventId)),
        ),
      );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Adds an error unless `typeId` is one of `usable` and of the right kind. */
  checkUsable(
    usable: Map<string, RegistrationType>,
    typeId: string | null | undefined,
    kind: RegistrationKind,
    errors: FieldErrors,
    field: string,
  ): void {
    if (!typeId) return;
    const type = usable.get(typeId);
    if (!type) errors.add(field, "is not a registration type of this event");
    else if (type.kind !== kind) errors.add(field, `is a ${type.kind} registration type, not ${kind}`);
  }
}
