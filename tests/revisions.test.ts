import "reflect-metadata";
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import { events, visitors } from "@/schema/tables/index.js";
import type { Tx } from "@/src/db/database.js";
import { newId } from "@/src/services/ids.js";
import { takeRevisions } from "@/src/services/revision.service.js";
import { createEvent, createVisitor } from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

// SPEC section 2: a client syncs by asking for `fromRevision = highest seen + 1`. That is only safe
// when no revision below one a reader has already seen can still commit later ("late commit").

let t: TestApp;
before(async () => {
  // Many concurrent requests from one user: keep any request limits out of the experiment.
  t = await startApp({ RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_CONCURRENCY: "1000" });
});
after(() => t.close());

/** One write as its writer saw it commit: the record's id, the revision it got, tombstone or not. */
type Change = { id: string; revision: number; deleted: boolean };

const FEED = `query($eventId: ID!, $filter: VisitorFilter) {
  visitors(eventId: $eventId, first: 100, filter: $filter) {
    edges { node { id revision deleted } }
    pageInfo { hasNextPage }
  }
}`;

type FeedData = { visitors: { edges: { node: Change }[]; pageInfo: { hasNextPage: boolean } } };

/** A syncing client exactly as SPEC section 2 describes it, reading through the public GraphQL API. */
class SyncingReader {
  last = 0;
  passes = 0;
  readonly seen: Change[] = [];

  constructor(private readonly eventId: string) {}

  /** Reads pages from `last + 1` until a page says nothing follows; advances `last` as it goes. */
  async pass(): Promise<void> {
    this.passes++;
    for (;;) {
      const page = await t.ok<FeedData>(FEED, {
        eventId: this.eventId,
        filter: { fromRevision: this.last + 1 },
      });
      for (const { node } of page.visitors.edges) {
        this.seen.push(node);
        this.last = Math.max(this.last, node.revision);
      }
      if (!page.visitors.pageInfo.hasNextPage) return;
    }
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
    outOfOrder: seen.filter((change, index) => index > 0 && change.revision <= seen[index - 1]!.revision),
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

/** The real allocator: the deployment-wide counter row, locked until commit. */
const counterAllocator: Allocate = (tx) => takeRevisions(tx);

const NAIVE_SEQUENCE = "naive_revision_seq";
/** A naive allocator (what the counter replaces): numbers in take order, visible in commit order. */
const naiveAllocator: Allocate = async (tx) => {
  const result = await tx.execute<{ value: string }>(sql.raw(`select nextval('${NAIVE_SEQUENCE}') as value`));
  const rows = Array.isArray(result) ? result : (result as unknown as { rows: { value: string }[] }).rows;
  return Number(rows[0]!.value);
};

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * The choreography, made deterministic: writer A takes a number and keeps its transaction
 * open; writer B then takes the next number and commits at once; the reader syncs in between; A
 * commits only after the reader has finished a pass that started after B's commit, or after
 * `holdMs` when B cannot commit first. Then the reader catches up. `commitOrder` lists the ids in
 * the order their transactions committed.
 */
async function lateCommitScenario(allocate: Allocate, holdMs: number) {
  const event = await createEvent(t);
  const scope = await scopeOf(event.id);
  const db = t.app.database.db;
  const reader = new SyncingReader(event.id);
  const written: Change[] = [];
  const aTookNumber = deferred();
  const readerPassedAfterB = deferred();
  let bCommitted = false;

  const writerA = db
    .transaction(async (tx) => {
      const revision = await allocate(tx);
      const id = await insertVisitorRow(tx, scope, revision);
      aTookNumber.resolve();
      await Promise.race([readerPassedAfterB.promise, sleep(holdMs, undefined, { ref: false })]);
      return { id, revision, deleted: false };
    })
    .then((change) => {
      written.push(change);
      return change;
    });
  await aTookNumber.promise;
  const writerB = db
    .transaction(async (tx) => {
      const revision = await allocate(tx);
      return { id: await insertVisitorRow(tx, scope, revision), revision, deleted: false };
    })
    .then((change) => {
      written.push(change);
      bCommitted = true;
      return change;
    });

  let writing = true;
  const writers = Promise.all([writerA, writerB]);
  writers.then(
    () => {
      writing = false;
    },
    () => {
      writing = false;
    },
  );
  while (writing) {
    const afterB = bCommitted;
    await reader.pass();
    if (afterB) readerPassedAfterB.resolve();
    await sleep(5);
  }
  const [a, b] = await writers;
  await reader.pass();
  const commitOrder = written.map((change) => change.id);
  return { a, b, reader, commitOrder, report: compareFeed(written, reader.seen) };
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

    // Writers through the real API: creates, bulk creates, updates and deletes, eight at a time.
    const apiWriter = async () => {
      const mine: string[] = [];
      for (let step = 0; step < 10; step++) {
        const roll = randomInt(10);
        if (roll < 2 && mine.length > 0) {
          const id = mine.splice(randomInt(mine.length), 1)[0]!;
          const data = await t.ok<{ deleteVisitor: Change }>(
            "mutation($eventId: ID!, $id: ID!) { deleteVisitor(eventId: $eventId, id: $id) { id revision deleted } }",
            { eventId: event.id, id },
          );
          written.push(data.deleteVisitor);
        } else if (roll < 5 && mine.length > 0) {
          const id = mine[randomInt(mine.length)]!;
          const data = await t.ok<{ updateVisitor: Change }>(
            "mutation($eventId: ID!, $id: ID!) { updateVisitor(eventId: $eventId, id: $id, input: { registrationState: HOLD }) { id revision deleted } }",
            { eventId: event.id, id },
          );
          written.push(data.updateVisitor);
        } else if (roll < 6) {
          const data = await t.ok<{ createVisitors: Change[] }>(
            "mutation($eventId: ID!, $inputs: [CreateVisitorInput!]!) { createVisitors(eventId: $eventId, inputs: $inputs) { id revision deleted } }",
            { eventId: event.id, inputs: [1, 2, 3].map((n) => ({ reference: `bulk-${n}` })) },
          );
          written.push(...data.createVisitors);
          mine.push(...data.createVisitors.map((visitor) => visitor.id));
        } else {
          const visitor = await createVisitor(t, event.id);
          written.push({ id: visitor.id, revision: visitor.revision, deleted: visitor.deleted });
          mine.push(visitor.id);
        }
      }
    };

    // Late committers: take a revision, write the row, then keep the transaction open a few ms.
    const slowWriter = async () => {
      for (let step = 0; step < 6; step++) {
        const change = await db.transaction(async (tx) => {
          const revision = await takeRevisions(tx);
          const id = await insertVisitorRow(tx, scope, revision);
          openSlowTransactions++;
          try {
            await sleep(1 + randomInt(15));
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
      ...Array.from({ length: 8 }, apiWriter),
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
      if (openSlowTransactions > 0) passesDuringSlowTransaction++;
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

  it("with the revision counter, a writer that takes a number after a late committer waits for it", async () => {
    const { a, b, reader, commitOrder, report } = await lateCommitScenario(counterAllocator, 300);
    assert.ok(a.revision < b.revision, "A took its number first");
    assert.deepEqual(commitOrder, [a.id, b.id], "B could not commit before A");
    assert.deepEqual(report.missed, []);
    assert.deepEqual(
      reader.seen.map((change) => change.id),
      [a.id, b.id],
    );
  });

  it("control: a naive sequence allocator makes the same reader miss the late commit", async (test) => {
    if (t.app.database.driver !== "postgres") {
      test.skip("needs concurrent transactions: PostgreSQL only");
      return;
    }
    const db = t.app.database.db;
    // Far above the counter's numbers, so the two allocators never collide on the unique revision.
    await db.execute(sql.raw(`create sequence ${NAIVE_SEQUENCE} start 1000000000`));
    try {
      // A holds until the reader has passed B (B never waits for A here); 30 s is only a safety net.
      const { a, b, reader, commitOrder, report } = await lateCommitScenario(naiveAllocator, 30_000);
      assert.ok(a.revision < b.revision, "A took its number first");
      assert.deepEqual(commitOrder, [b.id, a.id], "B committed first");
      // B committed first, the reader moved past it, and A's lower revision committed behind it.
      assert.deepEqual(
        reader.seen.map((change) => change.id),
        [b.id],
      );
      assert.deepEqual(report.missed, [a], "the check catches the lost late commit");
    } finally {
      await db.execute(sql.raw(`drop sequence ${NAIVE_SEQUENCE}`));
    }
  });
});
