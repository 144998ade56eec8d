import { must } from "./support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { events, revisionCounter, revisionLeases, visitors } from "@/schema/tables/index.js";
import type { Tx } from "@/src/db/database.js";
import { visibleHorizon } from "@/src/db/revisions.js";
import { newId } from "@/src/services/ids.js";
import { createEvent } from "./support/factories.js";
import {
  type SecondInstance,
  startApp,
  startSecondInstance,
  type TestApp,
  waitFor,
} from "./support/harness.js";

// SPEC section 2: a client syncs by asking for `fromRevision = highest seen + 1`. That is only safe
// when no revision below one a reader has already seen can still commit later ("late commit").
// On PostgreSQL writers do not wait for each other; readers hold back instead (src/db/revisions.ts).

let t: TestApp;
/** On PostgreSQL, a second replica on the same database: its writers take leases on their own connection. */
let second: SecondInstance | undefined;
const onPostgres = () => t.app.database.driver === "postgres";

before(async () => {
  // Many concurrent requests from one user: keep any request limits out of the experiment.
  t = await startApp({ RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_CONCURRENCY: "1000" });
  if (onPostgres()) second = await startSecondInstance(t);
});
after(() => t.close());

/** One write as its writer saw it commit: the record's id, the revision it got, tombstone or not. */
type Change = { id: string; revision: number; deleted: boolean };

type Ok = TestApp["ok"];

const FEED = `query($eventId: ID!, $filter: VisitorFilter) {
  visitors(eventId: $eventId, first: 100, filter: $filter) {
    edges { node { id revision deleted } }
    pageInfo { hasNextPage }
  }
}`;
const CREATE = `mutation($eventId: ID!, $input: CreateVisitorInput!) {
  createVisitor(eventId: $eventId, input: $input) { id revision deleted }
}`;
const CREATE_MANY = `mutation($eventId: ID!, $inputs: [CreateVisitorInput!]!) {
  createVisitors(eventId: $eventId, inputs: $inputs) { id revision deleted }
}`;

type FeedData = { visitors: { edges: { node: Change }[]; pageInfo: { hasNextPage: boolean } } };

async function createOne(ok: Ok, eventId: string): Promise<Change> {
  const data = await ok<{ createVisitor: Change }>(CREATE, {
    eventId,
    input: { registrationState: "REGISTERED", contact: { lastName: "Single" } },
  });
  return data.createVisitor;
}

async function createMany(ok: Ok, eventId: string, count: number): Promise<Change[]> {
  const inputs = Array.from({ length: count }, (_, n) => ({ reference: `bulk-${n}` }));
  return (await ok<{ createVisitors: Change[] }>(CREATE_MANY, { eventId, inputs })).createVisitors;
}

/** A syncing client exactly as SPEC section 2 describes it, reading through the public GraphQL API. */
class SyncingReader {
  last = 0;
  passes = 0;
  readonly seen: Change[] = [];

  constructor(private readonly eventId: string) {}

  /** Reads pages from `last + 1` until a page says nothing follows; returns what this pass saw. */
  async pass(): Promise<Change[]> {
    this.passes++;
    const seen: Change[] = [];
    for (;;) {
      const page = await t.ok<FeedData>(FEED, {
        eventId: this.eventId,
        filter: { fromRevision: this.last + 1 },
      });
      for (const { node } of page.visitors.edges) {
        seen.push(node);
        this.last = Math.max(this.last, node.revision);
      }
      if (!page.visitors.pageInfo.hasNextPage) break;
    }
    this.seen.push(...seen);
    return seen;
  }
}

/**
 * Compares what the reader saw with what the writers committed. `missed`: records whose latest
 * committed change the reader never saw (its copy is stale or absent forever: it has moved past).
 */
function compareFeed(written: readonly Change[], seen: readonly Change[]) {
  const latest = new Map<string, Change>();
  for (const change of written) {
    const known = latest.get(change.id);
    if (!known || change.revision > known.revision) latest.set(change.id, change);
  }
  const writtenPairs = new Set(written.map((change) => `${change.id}@${change.revision}:${change.deleted}`));
  const lastSeen = new Map<string, Change>();
  for (const change of seen) lastSeen.set(change.id, change);

  return {
    missed: [...latest.values()].filter((change) => lastSeen.get(change.id)?.revision !== change.revision),
    /** Seen but never written: a phantom or a wrong tombstone flag. */
    unknown: seen.filter((change) => !writtenPairs.has(`${change.id}@${change.revision}:${change.deleted}`)),
    /** The feed must hand out strictly increasing revisions: no repeats, never backwards. */
    outOfOrder: seen.filter((change, index) => index > 0 && change.revision <= seen[index - 1].revision),
  };
}

type Scope = { organisationId: string; eventId: string };

async function scopeOf(eventId: string): Promise<Scope> {
  const [row] = await t.app.database.db
    .select({ organisationId: events.organisationId })
    .from(events)
    .where(eq(events.id, eventId));
  assert.ok(row, "event row");
  return { organisationId: row.organisationId, eventId };
}

/** Inserts a visitor row the way the store does (same table, same columns), with a given revision. */
async function insertVisitorRow(tx: Tx, scope: Scope, revision: number): Promise<string> {
  const id = newId();
  await tx.insert(visitors).values({
    id,
    ...scope,
    registrationState: "REGISTERED",
    contactLastName: `Late ${revision}`,
    revision,
    deleted: false,
  });
  return id;
}

type Allocate = (tx: Tx) => Promise<number>;

/** The app's own allocator: leases on PostgreSQL, the in-transaction counter on PGlite. */
const appAllocator: Allocate = (tx) => t.app.database.revisions.take(tx);

/**
 * A naive allocator: the counter used as a plain sequence. Numbers come in take order and are
 * committed at once (no lease), so revisions become visible in commit order, not revision order.
 */
const naiveAllocator: Allocate = async () => {
  const [row] = await t.app.database.db
    .update(revisionCounter)
    .set({ value: sql`${revisionCounter.value} + 1` })
    .where(eq(revisionCounter.id, 1))
    .returning({ value: revisionCounter.value });
  return row.value;
};

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Tracks whether a promise has settled, so a test can wait for it with a deadline instead of hanging. */
function track<T>(promise: Promise<T>) {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

/**
 * Opens a write transaction that takes a revision with `allocate`, writes its row and stays open
 * until `release()` is called; then it commits, or rolls back with `release("rollback")`.
 */
async function heldWriter(allocate: Allocate, scope: Scope) {
  const took = deferred<{ id: string; revision: number }>();
  const release = deferred<"commit" | "rollback">();
  const done = t.app.database.db.transaction(async (tx) => {
    const revision = await allocate(tx);
    const id = await insertVisitorRow(tx, scope, revision);
    took.resolve({ id, revision });
    if ((await release.promise) === "rollback") tx.rollback();
    return { id, revision, deleted: false } satisfies Change;
  });
  done.catch(() => {}); // a rollback rejects; callers that care await `done` themselves
  const { id, revision } = await took.promise;
  return { id, revision, release: release.resolve, done };
}

/**
 * The choreography, made deterministic on PostgreSQL: writer A takes a revision and keeps
 * its transaction open; writer B then takes the next revision and commits; a reader syncs; then A
 * commits and the reader catches up. Both writers use `allocate`.
 */
async function lateCommitScenario(allocate: Allocate) {
  const event = await createEvent(t);
  const scope = await scopeOf(event.id);
  const reader = new SyncingReader(event.id);
  const commitOrder: string[] = [];
  const a = await heldWriter(allocate, scope);
  try {
    const b = track(
      t.app.database.db
        .transaction(async (tx) => {
          const revision = await allocate(tx);
          return { id: await insertVisitorRow(tx, scope, revision), revision, deleted: false };
        })
        .then((change) => {
          commitOrder.push(change.id);
          return change;
        }),
    );
    // If B had to wait for A, this fails (and A is released below, so nothing hangs).
    await waitFor("B to commit while A is still open", () => b.settled, 10_000);
    const bChange = await b.promise;
    const seenWhileAOpen = await reader.pass();
    const horizonWhileAOpen = await visibleHorizon(t.app.database.db);
    a.release("commit");
    const aChange = await a.done;
    commitOrder.push(aChange.id);
    await reader.pass();
    const report = compareFeed([aChange, bChange], reader.seen);
    return { a: aChange, b: bChange, reader, seenWhileAOpen, horizonWhileAOpen, commitOrder, report };
  } finally {
    a.release("commit");
  }
}

describe("revisions and the late commit (SPEC section 2)", () => {
  it("a reader syncing during concurrent writes, some holding their transaction open, misses nothing", async () => {
    const event = await createEvent(t);
    const scope = await scopeOf(event.id);
    const db = t.app.database.db;
    const written: Change[] = [];
    const insertOnly = new Set<string>();
    let openSlowTransactions = 0;
    let passesDuringSlowTransaction = 0;

    // Writers through the real API: creates, bulk creates, updates and deletes, eight at a time;
    // on PostgreSQL half of them through a second replica (its own lease connection).
    const apiWriter = async (ok: Ok) => {
      const mine: string[] = [];
      for (let step = 0; step < 10; step++) {
        const roll = randomInt(10);
        if (roll < 2 && mine.length > 0) {
          const id = mine.splice(randomInt(mine.length), 1)[0];
          const data = await ok<{ deleteVisitor: Change }>(
            "mutation($eventId: ID!, $id: ID!) { deleteVisitor(eventId: $eventId, id: $id) { id revision deleted } }",
            { eventId: event.id, id },
          );
          written.push(data.deleteVisitor);
        } else if (roll < 5 && mine.length > 0) {
          const id = mine[randomInt(mine.length)];
          const data = await ok<{ updateVisitor: Change }>(
            "mutation($eventId: ID!, $id: ID!) { updateVisitor(eventId: $eventId, id: $id, input: { registrationState: HOLD }) { id revision deleted } }",
            { eventId: event.id, id },
          );
          written.push(data.updateVisitor);
        } else if (roll < 6) {
          const created = await createMany(ok, event.id, 3);
          written.push(...created);
          mine.push(...created.map((visitor) => visitor.id));
        } else {
          const visitor = await createOne(ok, event.id);
          written.push(visitor);
          mine.push(visitor.id);
        }
      }
    };

    // Late committers: take a revision, write the row, then keep the transaction open a few ms.
    // On PostgreSQL the first one stays open until a reader pass has started meanwhile (PGlite
    // cannot read while a transaction is open, so there the overlap is left to timing).
    const passStartedDuringSlow = deferred();
    const slowWriter = async (_: unknown, writer: number) => {
      for (let step = 0; step < 6; step++) {
        const change = await db.transaction(async (tx) => {
          const revision = await appAllocator(tx);
          const id = await insertVisitorRow(tx, scope, revision);
          openSlowTransactions++;
          try {
            await (onPostgres() && writer === 0 && step === 0
              ? passStartedDuringSlow.promise
              : sleep(1 + randomInt(15)));
          } finally {
            openSlowTransactions--;
          }
          return { id, revision, deleted: false };
        });
        written.push(change);
        insertOnly.add(change.id);
        await sleep(randomInt(5));
      }
    };

    const reader = new SyncingReader(event.id);
    let writing = true;
    const writers = Promise.all([
      ...Array.from({ length: 8 }, (_, n) => apiWriter(second && n % 2 ? second.ok : t.ok)),
      ...Array.from({ length: 4 }, slowWriter),
    ]);
    writers.then(
      () => {
        writing = false;
      },
      () => {
        writing = false;
      },
    );
    while (writing) {
      if (openSlowTransactions > 0) {
        passesDuringSlowTransaction++;
        passStartedDuringSlow.resolve();
      }
      await reader.pass();
    }
    await writers;
    const passesWhileWriting = reader.passes;
    const seenWhileWriting = reader.seen.length;
    await reader.pass(); // the final catch-up

    const report = compareFeed(written, reader.seen);
    assert.deepEqual(report.missed, [], "the reader skipped changes that committed late");
    assert.deepEqual(report.unknown, [], "the reader saw changes nobody wrote");
    assert.deepEqual(report.outOfOrder, [], "the feed went backwards or repeated a revision");
    for (const id of insertOnly) {
      assert.equal(reader.seen.filter((change) => change.id === id).length, 1, `${id} seen exactly once`);
    }

    // The experiment really interleaved: the reader synced many times while writers were busy,
    // also while a late committer held its revision, and it saw records before the writers were done.
    assert.ok(written.length >= 100, `${written.length} changes written`);
    assert.ok(passesWhileWriting >= 5, `${passesWhileWriting} passes while writing`);
    assert.ok(passesDuringSlowTransaction >= 1, "a pass started while a late committer was open");
    assert.ok(seenWhileWriting > 0, "records were seen before the writers finished");
  });

  it("a writer that commits after a later revision is hidden until it commits, then seen in order", async (test) => {
    if (!onPostgres()) {
      test.skip("needs concurrent transactions: PostgreSQL only (PGlite runs one at a time)");
      return;
    }
    const { a, b, reader, seenWhileAOpen, horizonWhileAOpen, commitOrder, report } =
      await lateCommitScenario(appAllocator);
    assert.ok(a.revision < b.revision, "A took its revision first");
    assert.deepEqual(commitOrder, [b.id, a.id], "B did not wait for A");
    assert.deepEqual(seenWhileAOpen, [], "B is hidden while A, below it, may still commit");
    assert.equal(horizonWhileAOpen, a.revision - 1, "the horizon stops below A");
    assert.deepEqual(report.missed, []);
    assert.deepEqual(
      reader.seen.map((change) => change.id),
      [a.id, b.id],
    );
  });

  it("control: a naive sequence (no lease) makes the same reader miss the late commit", async (test) => {
    if (!onPostgres()) {
      test.skip("needs concurrent transactions: PostgreSQL only");
      return;
    }
    const { a, b, reader, commitOrder, report } = await lateCommitScenario(naiveAllocator);
    assert.ok(a.revision < b.revision, "A took its number first");
    assert.deepEqual(commitOrder, [b.id, a.id], "B committed first");
    // B committed first, the reader moved past it, and A's lower revision committed behind it.
    assert.deepEqual(
      reader.seen.map((change) => change.id),
      [b.id],
    );
    assert.deepEqual(report.missed, [a], "the check catches the lost late commit");
  });

  it("on PGlite a second writer waits for the first, so revisions commit in order", async (test) => {
    if (onPostgres()) {
      test.skip("PGlite only: PostgreSQL writers do not wait (see the specs above)");
      return;
    }
    const event = await createEvent(t);
    const scope = await scopeOf(event.id);
    const reader = new SyncingReader(event.id);
    const commitOrder: string[] = [];
    const a = await heldWriter(appAllocator, scope);
    a.done.then((change) => commitOrder.push(change.id));
    const b = t.app.database.db
      .transaction(async (tx) => {
        const revision = await appAllocator(tx);
        return { id: await insertVisitorRow(tx, scope, revision), revision, deleted: false };
      })
      .then((change) => {
        commitOrder.push(change.id);
        return change;
      });
    a.release("commit");
    const [aChange, bChange] = await Promise.all([a.done, b]);
    await reader.pass();
    assert.ok(aChange.revision < bChange.revision);
    assert.deepEqual(commitOrder, [aChange.id, bChange.id]);
    assert.deepEqual(compareFeed([aChange, bChange], reader.seen).missed, []);
  });

  it("a single write commits while a bulk import holds its transaction open; readers see both in order once it commits", async (test) => {
    if (!onPostgres()) {
      test.skip("needs concurrent transactions: PostgreSQL only");
      return;
    }
    const db = t.app.database.db;
    const event = await createEvent(t);
    const scope = await scopeOf(event.id);
    const reader = new SyncingReader(event.id);
    // The latch: an uncommitted row holding the bulk's first revision. The bulk's INSERT waits on
    // the unique revision index until the latch rolls back; no hook in the app.
    const [counter] = await db.select().from(revisionCounter);
    const bulkFirst = counter.value + 1;
    const latch = await heldWriter(async () => bulkFirst, scope);
    try {
      const bulk = track(createMany(t.ok, event.id, 50));
      await waitFor("the bulk to take its revisions", async () => {
        const leases = await db
          .select()
          .from(revisionLeases)
          .where(eq(revisionLeases.firstRevision, bulkFirst));
        return leases.length === 1;
      });
      const single = track(createOne(t.ok, event.id));
      await waitFor("the single write to commit beside the open bulk", () => single.settled, 10_000);
      const singleChange = await single.promise;
      assert.equal(bulk.settled, false, "the bulk is still open");
      assert.ok(singleChange.revision > bulkFirst + 49, "the single write took a revision after the bulk's");

      assert.deepEqual(await reader.pass(), [], "nothing past the open bulk's first revision is returned");
      assert.equal(await visibleHorizon(db), bulkFirst - 1);

      latch.release("rollback");
      const bulkChanges = await bulk.promise;
      const seen = await reader.pass();
      assert.deepEqual(
        seen.map((change) => change.revision),
        [...bulkChanges.map((change) => change.revision), singleChange.revision],
        "the bulk's 50 revisions, then the single write",
      );
      assert.equal(await visibleHorizon(db), singleChange.revision);
    } finally {
      latch.release("rollback");
    }
  });

  it("concurrent updates of one record are not lost, and the record keeps the revision of its last write", async () => {
    const event = await createEvent(t);
    const fields = ["firstName", "company", "jobTitle", "phone", "reference", "email"] as const;
    const UPDATE = `mutation($eventId: ID!, $id: ID!, $input: UpdateVisitorInput!) {
      updateVisitor(eventId: $eventId, id: $id, input: $input) { revision }
    }`;
    const GET = `query($eventId: ID!, $id: ID!) {
      visitor(eventId: $eventId, id: $id) { revision contact { ${fields.join(" ")} } }
    }`;
    const records = await createMany(t.ok, event.id, 5);
    // Every record gets one partial update per contact field at once, half through the replica.
    const updates = await Promise.all(
      records.flatMap((record) =>
        fields.map(async (field, n) => {
          const ok = second && n % 2 ? second.ok : t.ok;
          const value = field === "email" ? "merged@example.test" : `set ${field}`;
          const data = await ok<{ updateVisitor: { revision: number } }>(UPDATE, {
            eventId: event.id,
            id: record.id,
            input: { contact: { [field]: value } },
          });
          return { id: record.id, revision: data.updateVisitor.revision };
        }),
      ),
    );
    assert.equal(new Set(updates.map((update) => update.revision)).size, updates.length, "one revision each");
    for (const record of records) {
      const { visitor } = await t.ok<{
        visitor: { revision: number; contact: Record<string, string | null> };
      }>(GET, { eventId: event.id, id: record.id });
      for (const field of fields) {
        assert.ok(visitor.contact[field], `${record.id}: the update of ${field} was lost`);
      }
      const mine = updates.filter((update) => update.id === record.id).map((update) => update.revision);
      assert.equal(visitor.revision, Math.max(...mine), "the last write's revision is the highest");
    }
  });

  for (const operation of ["update", "delete"] as const) {
    it(`${operation === "update" ? "an" : "a"} ${operation} that waits for its record takes its revision only once it holds the record`, async (test) => {
      if (!onPostgres()) {
        test.skip("needs concurrent transactions: PostgreSQL only");
        return;
      }
      const db = t.app.database.db;
      const event = await createEvent(t);
      const [record] = await createMany(t.ok, event.id, 1);
      // Another writer of the same record holds its row and takes its revision only afterwards.
      const locked = deferred();
      const release = deferred();
      const other = db.transaction(async (tx) => {
        await tx.select({ id: visitors.id }).from(visitors).where(eq(visitors.id, record.id)).for("update");
        locked.resolve();
        await release.promise;
        const revision = await appAllocator(tx);
        await tx
          .update(visitors)
          .set({ revision, contactCompany: "Other" })
          .where(eq(visitors.id, record.id));
        return revision;
      });
      try {
        await locked.promise;
        const mutation =
          operation === "update"
            ? 'mutation($e: ID!, $id: ID!) { result: updateVisitor(eventId: $e, id: $id, input: { reference: "mine" }) { revision } }'
            : "mutation($e: ID!, $id: ID!) { result: deleteVisitor(eventId: $e, id: $id) { revision } }";
        const mine = track(t.ok<{ result: { revision: number } }>(mutation, { e: event.id, id: record.id }));
        await waitFor(`the ${operation} to wait for the record's row`, async () => {
          // postgres.js returns the rows themselves.
          const [row] = (await db.execute(
            sql`select exists (select from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock') as waiting`,
          )) as unknown as { waiting: boolean }[];
          return row?.waiting;
        });
        release.resolve();
        const otherRevision = await other;
        const { result } = await mine.promise;
        assert.ok(
          result.revision > otherRevision,
          `${result.revision} after ${otherRevision}, which committed first`,
        );
        const [stored] = await db.select().from(visitors).where(eq(visitors.id, record.id));
        assert.equal(stored.revision, result.revision);
        assert.equal(stored.contactCompany, "Other", "the earlier write's change is kept");
      } finally {
        release.resolve();
      }
    });
  }

  it("a writer that rolls back leaves no gap that holds readers back", async () => {
    const db = t.app.database.db;
    const event = await createEvent(t);
    const scope = await scopeOf(event.id);
    const reader = new SyncingReader(event.id);
    const doomed = await heldWriter(appAllocator, scope);
    doomed.release("rollback");
    await assert.rejects(doomed.done);

    const after = await createOne(t.ok, event.id);
    // On PGlite the counter rolls back with the writer, so the same revision may be taken again.
    assert.ok(after.revision >= doomed.revision);
    assert.deepEqual(await reader.pass(), [after], "the rolled-back revision is skipped, not waited for");
    assert.equal(await visibleHorizon(db), after.revision);
    if (onPostgres()) {
      // The write after it purged the rolled-back writer's lease.
      const left = await db
        .select()
        .from(revisionLeases)
        .where(eq(revisionLeases.firstRevision, doomed.revision));
      assert.deepEqual(left, []);
    }
  });

  it("a writer whose connection dies holds readers back only until PostgreSQL ends its transaction", async (test) => {
    if (!onPostgres()) {
      test.skip("needs a server connection to kill: PostgreSQL only");
      return;
    }
    const db = t.app.database.db;
    const event = await createEvent(t);
    const scope = await scopeOf(event.id);
    const reader = new SyncingReader(event.id);
    // The crashing writer runs on a connection of its own, so its backend can be terminated.
    const client = postgres(must(t.db.url, "t.db.url"), { max: 1, onnotice: () => {} });
    try {
      const crashing = drizzle(client);
      const took = deferred<{ pid: number; revision: number }>();
      const release = deferred();
      const done = crashing.transaction(async (tx) => {
        const [backend] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        const revision = await appAllocator(tx as unknown as Tx);
        await insertVisitorRow(tx as unknown as Tx, scope, revision);
        took.resolve({ pid: backend.pid, revision });
        await release.promise;
      });
      done.catch(() => {});
      const { pid, revision } = await took.promise;

      const later = await createOne(t.ok, event.id);
      assert.ok(later.revision > revision);
      assert.deepEqual(await reader.pass(), [], "held back while the crashing writer may still commit");

      await db.execute(sql`select pg_terminate_backend(${pid})`);
      const seen = await waitFor("the reader to see the later write", async () => {
        const changes = await reader.pass();
        return changes.length > 0 && changes;
      });
      assert.deepEqual(seen, [later]);
      release.resolve();
      await assert.rejects(done, "the crashed transaction did not commit");
    } finally {
      await client.end({ timeout: 5 });
    }
  });
});
