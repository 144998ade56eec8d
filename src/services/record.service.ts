import { type Actor, type OrganisationActor, requireDataRead, requireDataWrite } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import type { RevisionAllocator } from "@/src/db/revisions.js";
import type { FeedArgs, FeedPage } from "./change-feed.js";
import type { EventService } from "./event.service.js";
import { RevisionedStore, type RevisionedTable } from "./revisioned-store.js";

/** Most records one bulk call may create (all or nothing). */
export const MAX_BULK = 1_000;

/**
 * What visitors and partners share: every call is scoped to an event the actor may see, reads
 * include tombstones, lists are the change feed, and deletes leave tombstones. Subclasses add
 * their own validation for creates and updates.
 */
export abstract class RecordService<T extends RevisionedTable, Record> {
  protected readonly store: RevisionedStore<T>;

  constructor(
    db: Db,
    revisions: RevisionAllocator,
    protected readonly events: EventService,
    table: T,
    label: string,
    private readonly toRecord: (row: T["$inferSelect"]) => Record,
  ) {
    this.store = new RevisionedStore(db, revisions, table, label);
  }

  protected async scope(actor: OrganisationActor, eventId: string) {
    await this.events.checkVisible(actor, eventId);
    return { organisationId: actor.organisationId, eventId };
  }

  /** The filters a subclass supports; the feed ignores the others. */
  protected feedArgs(args: FeedArgs): FeedArgs {
    return args;
  }

  /** A record, also when deleted (then a tombstone). */
  async get(actor: Actor, eventId: string, id: string): Promise<Record> {
    const scope = await this.scope(requireDataRead(actor), eventId);
    return this.toRecord(await this.store.get(scope, id));
  }

  /** One page of the event's change feed, in revision order (SPEC section 2). */
  async list(actor: Actor, eventId: string, args: FeedArgs): Promise<FeedPage<Record>> {
    const scope = await this.scope(requireDataRead(actor), eventId);
    const page = await this.store.page(scope, this.feedArgs(args));
    return { ...page, nodes: page.nodes.map(this.toRecord) };
  }

  /** Soft delete: the record stays as a tombstone with a new revision, so syncing clients see it go. */
  async delete(actor: Actor, eventId: string, id: string): Promise<Record> {
    const scope = await this.scope(requireDataWrite(actor), eventId);
    return this.toRecord(await this.store.delete(scope, id));
  }
}
