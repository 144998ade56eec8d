import { and, asc, eq, gte, inArray } from "drizzle-orm";
import { z } from "zod";
import { events } from "@/schema/tables/index.js";
import {
  type Actor,
  canSeeEvent,
  type OrganisationActor,
  requireDataRead,
  requireDataWrite,
} from "@/src/auth/actor.js";
import type { Queryable } from "@/src/db/database.js";
import { belowHorizon, type RevisionAllocator } from "@/src/db/revisions.js";
import { forbidden, notFound } from "@/src/errors/app-error.js";
import { MAX_PAGE_SIZE, pagingSchema } from "./change-feed.js";
import { newEventId } from "./ids.js";
import { FieldErrors, parseInput, text, withDefault } from "./validation.js";

export type Event = typeof events.$inferSelect;

const KNOWN_EVENTS_LIMIT = 100_000;

const timezone = z
  .string()
  .trim()
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA time zone such as Europe/Amsterdam");

const eventFields = {
  name: text.name,
  description: text.long,
  reference: text.reference,
  start: z.date(),
  end: z.date(),
  timezone,
  contactEmail: text.email,
};

const createEventSchema = z.object({ ...eventFields, timezone: withDefault(timezone, "UTC") });
const updateEventSchema = z.object(eventFields).partial();

export type CreateEventInput = z.input<typeof createEventSchema>;

/** A page of the events' change feed: revision order from `fromRevision`, optionally one reference. */
export type EventPageArgs = {
  first?: number | null;
  filter?: { fromRevision?: number | null; reference?: string | null } | null;
};
export type UpdateEventInput = z.input<typeof updateEventSchema>;

function checkPeriod(start: Date, end: Date) {
  const errors = new FieldErrors();
  if (end < start) errors.add("end", "must not be before start");
  errors.throwIfAny();
}

export class EventService {
  private readonly knownEvents = new Set<string>();

  constructor(
    private readonly db: Queryable,
    private readonly revisions: RevisionAllocator,
  ) {}

  /**
   * The event an actor may use, or NOT_FOUND (also for another organisation's event, so ids do
   * not leak) and EVENT_NOT_ALLOWED for an event outside an API key's scope.
   */
  async visible(actor: OrganisationActor, eventId: string): Promise<Event> {
    const [row] = await this.db
      .select()
      .from(events)
      .where(and(eq(events.organisationId, actor.organisationId), eq(events.id, eventId)));
    if (!row) throw notFound("Event");
    if (!canSeeEvent(actor, eventId)) {
      throw forbidden("EVENT_NOT_ALLOWED", "This API key may not access this event");
    }
    return row;
  }

  /**
   * Like `visible`, for callers that only need the check (every visitor and partner call).
   * Events are never deleted and never change organisation, so a pair once found stays valid:
   * remembering it saves a database round trip per call. The key's event scope is checked each time.
   */
  async checkVisible(actor: OrganisationActor, eventId: string): Promise<void> {
    const pair = `${actor.organisationId}/${eventId}`;
    if (!this.knownEvents.has(pair)) {
      await this.visible(actor, eventId);
      if (this.knownEvents.size >= KNOWN_EVENTS_LIMIT) this.knownEvents.clear();
      this.knownEvents.add(pair);
    }
    if (!canSeeEvent(actor, eventId)) {
      throw forbidden("EVENT_NOT_ALLOWED", "This API key may not access this event");
    }
  }

  async get(actor: Actor, eventId: string): Promise<Event> {
    return this.visible(requireDataRead(actor), eventId);
  }

  /**
   * Without paging arguments, every event the actor may see, by start date. With `first` or a
   * filter, one page in revision order (SPEC section 9: expos page like visitors and partners).
   */
  async list(actor: Actor, args: EventPageArgs = {}): Promise<Event[]> {
    const org = requireDataRead(actor);
    const scoped = org.kind === "apiKey" && org.eventIds.length > 0;
    const paged = args.first != null || args.filter != null;
    const paging = parseInput(pagingSchema, { first: args.first, fromRevision: args.filter?.fromRevision });
    const reference = args.filter?.reference;
    const query = this.db
      .select()
      .from(events)
      .where(
        and(
          eq(events.organisationId, org.organisationId),
          scoped ? inArray(events.id, org.eventIds) : undefined,
          paging.fromRevision ? gte(events.revision, paging.fromRevision) : undefined,
          reference != null ? eq(events.reference, reference) : undefined,
          // Pages follow the change-feed rule: nothing past a revision that may still commit.
          paged ? belowHorizon(events.revision) : undefined,
        ),
      );
    if (!paged) return query.orderBy(asc(events.start), asc(events.id));
    return query.orderBy(asc(events.revision)).limit(paging.first ?? MAX_PAGE_SIZE);
  }

  async create(actor: Actor, input: CreateEventInput): Promise<Event> {
    const org = requireDataWrite(actor);
    if (org.kind === "apiKey" && org.eventIds.length > 0) {
      throw forbidden("EVENT_NOT_ALLOWED", "An event-scoped API key cannot create events");
    }
    const value = parseInput(createEventSchema, input);
    checkPeriod(value.start, value.end);
    return this.db.transaction(async (tx) => {
      const revision = await this.revisions.take(tx);
      const [row] = await tx
        .insert(events)
        .values({ id: newEventId(), organisationId: org.organisationId, ...value, revision })
        .returning();
      return row;
    });
  }

  async update(actor: Actor, eventId: string, input: UpdateEventInput): Promise<Event> {
    const org = requireDataWrite(actor);
    const current = await this.visible(org, eventId);
    const value = parseInput(updateEventSchema, input);
    checkPeriod(value.start ?? current.start, value.end ?? current.end);
    const where = and(eq(events.organisationId, org.organisationId), eq(events.id, eventId));
    return this.db.transaction(async (tx) => {
      // The event first, then its revision: a concurrent update of the same event waits here, so
      // the later write also gets the later revision.
      await tx.select({ id: events.id }).from(events).where(where).for("update");
      const revision = await this.revisions.take(tx);
      const [row] = await tx
        .update(events)
        .set({ ...value, revision, updatedAt: new Date() })
        .where(where)
        .returning();
      return row;
    });
  }
}
