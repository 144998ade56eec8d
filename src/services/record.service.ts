import { type Actor, type OrganisationActor, requireDataRead, requireDataWrite } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import type { RevisionAllocator } from "@/src/db/revisions.js";
import type { FeedArgs, FeedPage } from "./change-feed.js";
import type { EventService } from "./event.service.js";
import type { FeedSignal } from "./feed-signal.js";
import { RevisionedStore, type RevisionedTable } from "./revisioned-store.js";
import { webhookWindow } from "./webhooks/webhook-window.js";

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
    private readonly db: Db,
    revisions: RevisionAllocator,
    protected readonly events: EventService,
    table: T,
    private readonly kind: "VISITOR" | "PARTNER",
    private readonly toRecord: (row: T["$inferSelect"]) => Record,
    feedSignal: FeedSignal,
  ) {
    const label = kind === "VISITOR" ? "Visitor" : "Partner";
    this.store = new RevisionedStore(db, revisions, table, label, (scope) =>
      feedSignal.emit({ ...scope, kind }),
    );
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

  /**
   * One page of the event's change feed, in revision order (SPEC section 2); with `webhookId`, only
   * what that webhook's ping covers (SPEC section 10).
   */
  async list(actor: Actor, eventId: string, args: FeedArgs): Promise<FeedPage<Record>> {
    const org = requireDataRead(actor);
    const scope = await this.scope(org, eventId);
    const webhookId = args.filter?.webhookId;
    const window = webhookId ? await webhookWindow(this.db, org, eventId, this.kind, webhookId) : undefined;
    const page = await this.store.page(scope, this.feedArgs(args), window);
    return { ...page, nodes: page.nodes.map(this.toRecord) };
  }

  /** Soft delete: the record stays as a tombstone with a new revision, so syncing clients see it go. */
  async delete(actor: Actor, eventId: string, id: string): Promise<Record> {
    const scope = await this.scope(requireDataWrite(actor), eventId);
    return this.toRecord(await this.store.delete(scope, id));
  }
}
