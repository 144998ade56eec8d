import { and, asc, eq, sql } from "drizzle-orm";
import type { partners, visitors } from "@/schema/tables/index.js";
import { insertRows } from "@/src/db/bulk-insert.js";
import type { Db, Tx } from "@/src/db/database.js";
import type { RevisionAllocator } from "@/src/db/revisions.js";
import { notFound } from "@/src/errors/app-error.js";
import { type FeedArgs, type FeedPage, type FeedWindow, feedQuery, toPage } from "./change-feed.js";
import { newId } from "./ids.js";

export type RevisionedTable = typeof visitors | typeof partners;
type Row<T extends RevisionedTable> = T["$inferSelect"];
type Insert<T extends RevisionedTable> = Omit<
  T["$inferInsert"],
  "id" | "organisationId" | "eventId" | "revision" | "deleted" | "createdAt" | "updatedAt"
>;
export type Scope = { organisationId: string; eventId: string };

/**
 * The storage rules shared by visitors and partners (SPEC section 2): every write takes a new
 * revision in its own transaction, deletes leave tombstones, lists page in revision order.
 * Callers (the services) authorise and validate first. Writers do not wait for each other
 * (src/db/revisions.ts), except two writes of one record: the second waits for the record's row.
 */
export class RevisionedStore<T extends RevisionedTable> {
  // Both tables share the columns used here; typing them as one keeps drizzle's checks on the rest.
  private readonly table: typeof visitors;

  constructor(
    private readonly db: Db,
    private readonly revisions: RevisionAllocator,
    table: T,
    private readonly label: string,
    /** Called after every committed write (the webhook engine's signal). */
    private readonly committed: (scope: Scope) => void,
  ) {
    this.table = table as typeof visitors;
  }

  private key(scope: Scope, id: string, liveOnly: boolean) {
    return and(
      eq(this.table.organisationId, scope.organisationId),
      eq(this.table.eventId, scope.eventId),
      eq(this.table.id, id),
      liveOnly ? eq(this.table.deleted, false) : undefined,
    );
  }

  // A lookup by id is the hottest read: its SQL is built once, not on every call.
  private readonly byId = once(() =>
    this.db
      .select()
      .from(this.table)
      .where(
        and(
          eq(this.table.organisationId, sql.placeholder("organisationId")),
          eq(this.table.eventId, sql.placeholder("eventId")),
          eq(this.table.id, sql.placeholder("id")),
        ),
      )
      .prepare(`${this.label.toLowerCase()}_by_id`),
  );

  async get(scope: Scope, id: string): Promise<Row<T>> {
    const [row] = await this.byId().execute({ ...scope, id });
    if (!row) throw notFound(this.label);
    return row as Row<T>;
  }

  async page(scope: Scope, args: FeedArgs, window?: FeedWindow): Promise<FeedPage<Row<T>>> {
    const query = feedQuery(this.table, scope.organisationId, scope.eventId, args, window);
    const rows = await this.db
      .select()
      .from(this.table)
      .where(query.where)
      .orderBy(asc(this.table.revision))
      .limit(query.limit);
    return toPage(rows as Row<T>[], query.pageSize);
  }

  /**
   * Inserts all values in one statement with consecutive revisions, in input order. Every column
   * is set here (ids, revisions and times included), so the rows are returned as written rather
   * than read back: a bulk of 1,000 skips a RETURNING of every column.
   */
  async insertMany(scope: Scope, values: readonly Insert<T>[]): Promise<Row<T>[]> {
    const now = new Date();
    const inserted = await this.db.transaction(async (tx) => {
      const first = await this.revisions.take(tx, values.length);
      // Copied and then set, not spread into a literal with more keys: V8 makes that about 50 times
      // slower (tens of milliseconds for a bulk of 1,000).
      const rows = values.map((value, index) => {
        const row = Object.assign({}, value) as Row<typeof visitors>;
        row.id = newId();
        row.organisationId = scope.organisationId;
        row.eventId = scope.eventId;
        row.revision = first + index;
        row.deleted = false;
        row.createdAt = now;
        row.updatedAt = now;
        return row;
      });
      await insertRows(tx, this.table, rows);
      return rows as Row<T>[];
    });
    this.committed(scope);
    return inserted;
  }

  /**
   * Locks the live record, then takes the revision: `change` merges into the latest version, and
   * concurrent writes of one record get increasing revisions in the order they commit.
   */
  async update(
    scope: Scope,
    id: string,
    change: (current: Row<T>, tx: Tx) => Partial<Insert<T>>,
  ): Promise<Row<T>> {
    const updated = await this.db.transaction(async (tx) => {
      const [current] = await tx
        .select()
        .from(this.table)
        .where(this.key(scope, id, true))
        .for("update");
      if (!current) throw notFound(this.label);
      const revision = await this.revisions.take(tx);
      const [row] = await tx
        .update(this.table)
        .set({
          ...(change(current as Row<T>, tx) as Partial<Insert<typeof visitors>>),
          revision,
          updatedAt: new Date(),
        })
        .where(this.key(scope, id, true))
        .returning();
      return row as Row<T>;
    });
    this.committed(scope);
    return updated;
  }

  /**
   * Soft delete: the tombstone keeps its data and gets a new revision. Deleting twice is NOT_FOUND.
   * Locks the record before taking the revision, as `update` does.
   */
  async delete(scope: Scope, id: string): Promise<Row<T>> {
    const deleted = await this.db.transaction(async (tx) => {
      const [live] = await tx
        .select({ id: this.table.id })
        .from(this.table)
        .where(this.key(scope, id, true))
        .for("update");
      if (!live) throw notFound(this.label);
      const revision = await this.revisions.take(tx);
      const [row] = await tx
        .update(this.table)
        .set({ deleted: true, revision, updatedAt: new Date() })
        .where(this.key(scope, id, true))
        .returning();
      if (!row) throw notFound(this.label);
      return row as Row<T>;
    });
    this.committed(scope);
    return deleted;
  }
}

function once<R>(make: () => R): () => R {
  let made: { value: R } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}
