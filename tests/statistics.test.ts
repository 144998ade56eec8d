import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { and, eq } from "drizzle-orm";
import { apiKeys, apiUsageDays, apiUsageMinutes } from "@/schema/tables/index.js";
import type { Actor } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import { createLogger } from "@/src/logger.js";
import { UsageRecorder } from "@/src/services/usage-recorder.js";
import { createApiKey, createEvent, failure, userWithRoles } from "./support/factories.js";
import { clockInMinute, startApp, type TestApp } from "./support/harness.js";

// SPEC section 7: every authenticated call is counted by organisation, key (or user), type, outcome
// and minute; apiStatistics returns buckets at MINUTE, HOUR, DAY and MONTH resolution.

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

const STATS = `query($from: DateTimeISO!, $until: DateTimeISO!, $resolution: StatisticsResolution!, $types: [ApiCallType!], $apiKeyIds: [ID!]) {
  apiStatistics(from: $from, until: $until, resolution: $resolution, types: $types, apiKeyIds: $apiKeyIds) {
    start type apiKeyId userId calls errors clientErrors serverErrors
  }
}`;

type Bucket = {
  start: string;
  type: string;
  apiKeyId: string | null;
  userId: string | null;
  calls: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
};

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const RESOLUTIONS = ["MINUTE", "HOUR", "DAY", "MONTH"] as const;
type Resolution = (typeof RESOLUTIONS)[number];

/** A range around now that is valid for the resolution (per-minute data is kept 35 days). */
function around(resolution: Resolution) {
  const now = Date.now();
  const back = { MINUTE: 10 * MINUTE, HOUR: 3 * HOUR, DAY: 3 * DAY, MONTH: 62 * DAY }[resolution];
  return {
    from: new Date(now - back).toISOString(),
    until: new Date(now + 2 * MINUTE).toISOString(),
    resolution,
  };
}

/** Where a call at `at` is counted, per resolution (UTC). */
function bucketStart(at: number, resolution: Resolution): string {
  const date = new Date(at);
  if (resolution === "MINUTE") return new Date(at - (at % MINUTE)).toISOString();
  if (resolution === "HOUR") return new Date(at - (at % HOUR)).toISOString();
  if (resolution === "DAY") return new Date(at - (at % DAY)).toISOString();
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)).toISOString();
}

async function stats(variables: Record<string, unknown>, as?: string) {
  return (await t.ok<{ apiStatistics: Bucket[] }>(STATS, variables, { as })).apiStatistics;
}

/** 7 successful and 3 failing (404, 422, 403) GraphQL calls with one key. */
async function burst(secret: string, eventId: string) {
  for (let i = 0; i < 7; i++) await t.ok("{ events { id } }", {}, { as: secret });
  const failures = [
    await t.gql('{ event(id: "zzzzzzzzzzzzz") { id } }', {}, { as: secret }),
    await t.gql(
      "query($e: ID!) { visitors(eventId: $e, first: 101) { edges { cursor } } }",
      { e: eventId },
      { as: secret },
    ),
    await t.gql(
      'mutation($e: ID!) { updateEvent(id: $e, input: { name: "x" }) { id } }',
      { e: eventId },
      { as: secret },
    ),
  ];
  assert.deepEqual(
    failures.map((result) => result.status),
    [404, 422, 403],
  );
}

describe("apiStatistics", () => {
  it("counts a known burst exactly, at every resolution", async (ctx) => {
    const event = await createEvent(t);
    const key = await createApiKey(t, { canWrite: false });
    clockInMinute(ctx);
    const at = Date.now();
    await burst(key.secret, event.id);
    await t.app.usage.flush();

    for (const resolution of RESOLUTIONS) {
      const buckets = await stats({ ...around(resolution), apiKeyIds: [key.id] });
      assert.deepEqual(
        buckets,
        [
          {
            start: bucketStart(at, resolution),
            type: "GRAPHQL",
            apiKeyId: key.id,
            userId: null,
            calls: 10,
            errors: 3,
            clientErrors: 3,
            serverErrors: 0,
          },
        ],
        resolution,
      );
    }
  });

  it("adds later calls to the same buckets (additive flushes)", async (ctx) => {
    const key = await createApiKey(t);
    clockInMinute(ctx);
    await t.ok("{ events { id } }", {}, { as: key.secret });
    await t.app.usage.flush();
    await t.ok("{ events { id } }", {}, { as: key.secret });
    await t.gql("query($e: ID!) { event(id: $e) { id } }", { e: "zzzzzzzzzzzzz" }, { as: key.secret });
    await t.app.usage.flush();
    for (const resolution of RESOLUTIONS) {
      const [bucket, ...rest] = await stats({ ...around(resolution), apiKeyIds: [key.id] });
      assert.deepEqual(rest, [], resolution);
      assert.deepEqual([bucket?.calls, bucket?.errors], [3, 1], resolution);
    }
  });

  it("counts a user's session calls under the user", async (ctx) => {
    const token = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
    clockInMinute(ctx);
    const { me } = await t.ok<{ me: { id: string } }>("{ me { id } }", {}, { as: token });
    await t.ok("{ apiKeys { id } }", {}, { as: token });
    await t.gql('{ apiKey(id: "zzzzzzzzzzzzzzzzzzzz") { id } }', {}, { as: token });
    await t.app.usage.flush();
    const buckets = (await stats(around("DAY"), token)).filter((bucket) => bucket.userId === me.id);
    assert.deepEqual(
      buckets.map(({ type, apiKeyId, calls, errors, clientErrors }) => ({
        type,
        apiKeyId,
        calls,
        errors,
        clientErrors,
      })),
      [{ type: "GRAPHQL", apiKeyId: null, calls: 3, errors: 1, clientErrors: 1 }],
    );
  });

  it("filters by types and apiKeyIds", async (ctx) => {
    const first = await createApiKey(t);
    const second = await createApiKey(t);
    clockInMinute(ctx);
    await t.ok("{ events { id } }", {}, { as: first.secret });
    await t.ok("{ events { id } }", {}, { as: second.secret });
    await t.ok("{ events { id } }", {}, { as: second.secret });
    await t.app.usage.flush();

    for (const resolution of RESOLUTIONS) {
      const range = around(resolution);
      const callsBy = (buckets: Bucket[]) =>
        Object.fromEntries(
          buckets.map((bucket) => [bucket.apiKeyId ?? `user:${bucket.userId}`, bucket.calls]),
        );

      assert.deepEqual(
        callsBy(await stats({ ...range, apiKeyIds: [first.id] })),
        { [first.id]: 1 },
        resolution,
      );
      assert.deepEqual(
        callsBy(await stats({ ...range, apiKeyIds: [first.id, second.id] })),
        { [first.id]: 1, [second.id]: 2 },
        resolution,
      );
      assert.deepEqual(
        await stats({ ...range, apiKeyIds: [first.id], types: ["JSON", "XML", "FUNCTION"] }),
        [],
        resolution,
      );
      assert.deepEqual(
        callsBy(await stats({ ...range, apiKeyIds: [first.id], types: ["GRAPHQL"] })),
        { [first.id]: 1 },
        resolution,
      );
      // Without apiKeyIds: every key and every user of the organisation.
      const all = await stats(range);
      assert.ok(all.some((bucket) => bucket.apiKeyId === first.id));
      assert.ok(all.some((bucket) => bucket.apiKeyId === second.id));
      assert.ok(all.some((bucket) => bucket.userId !== null && bucket.apiKeyId === null));
      assert.ok(all.every((bucket) => bucket.type === "GRAPHQL"));
    }
  });

  it("answers for many keys with one statement: the statement count does not grow with the keys", async () => {
    const keys = [];
    for (let i = 0; i < 20; i++) keys.push(await createApiKey(t));
    for (const key of keys) await t.ok("{ events { id } }", {}, { as: key.secret });
    await t.app.usage.stop(); // flushes, and no timer flush in the middle of the measurements
    try {
      const statements = async (variables: Record<string, unknown>) => {
        const before = t.app.database.stats.queries;
        const buckets = await stats(variables);
        return { count: t.app.database.stats.queries - before, buckets };
      };
      const range = around("MINUTE");
      const one = await statements({ ...range, apiKeyIds: [keys[0].id] });
      const twenty = await statements({ ...range, apiKeyIds: keys.map((key) => key.id) });
      const everyone = await statements(range);
      assert.equal(new Set(one.buckets.map((bucket) => bucket.apiKeyId)).size, 1);
      assert.equal(new Set(twenty.buckets.map((bucket) => bucket.apiKeyId)).size, 20);
      assert.ok(new Set(everyone.buckets.map((bucket) => bucket.apiKeyId)).size >= 20);
      assert.equal(twenty.count, one.count, "20 keys cost more statements than 1");
      assert.equal(everyone.count, one.count);
      assert.ok(
        one.count >= 1 && one.count <= 2,
        `${one.count} statements (session look-up + one query expected)`,
      );
    } finally {
      t.app.usage.start(t.env.STATS_FLUSH_MS);
    }
  });

  it("keeps daily figures for at least 400 days", async () => {
    const key = await createApiKey(t);
    // Write usage rows directly: 399 days ago must survive pruning, 401 days ago may go.
    const [row] = await t.app.database.db.select().from(apiUsageMinutes).limit(1);
    assert.ok(row, "some usage has been recorded by now");
    const day = (daysAgo: number) => {
      const at = Date.now() - daysAgo * DAY;
      return new Date(at - (at % DAY));
    };
    const values = [399, 401].map((daysAgo) => ({
      organisationId: row.organisationId,
      principal: `key:${key.id}`,
      type: "GRAPHQL" as const,
      start: day(daysAgo),
      calls: daysAgo,
      clientErrors: 0,
      serverErrors: 0,
    }));
    await t.app.database.db.insert(apiUsageDays).values(values);
    await t.app.usage.prune(t.env.STATS_MINUTE_RETENTION_DAYS, 400);
    const buckets = await stats({
      from: new Date(Date.now() - 402 * DAY).toISOString(),
      until: new Date().toISOString(),
      resolution: "DAY",
      apiKeyIds: [key.id],
    });
    assert.deepEqual(
      buckets.map((bucket) => [bucket.start, bucket.calls]),
      [[day(399).toISOString(), 399]],
    );
  });
});

describe("apiStatistics input", () => {
  it("refuses bad ranges with 422 naming the field", async () => {
    const now = Date.now();
    const iso = (at: number) => new Date(at).toISOString();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ from: iso(now), until: iso(now), resolution: "DAY" }, ["until"]],
      [{ from: iso(now), until: iso(now - MINUTE), resolution: "HOUR" }, ["until"]],
      [{ from: iso(now - 32 * DAY), until: iso(now), resolution: "MINUTE" }, ["until"]],
      [{ from: iso(now - 20 * DAY), until: iso(now + 12 * DAY), resolution: "MINUTE" }, ["until"]],
      [{ from: iso(now - 40 * DAY), until: iso(now - 39 * DAY), resolution: "HOUR" }, ["from"]],
      [{ from: iso(now - 3_661 * DAY), until: iso(now), resolution: "DAY" }, ["until"]],
      [
        {
          from: iso(now),
          until: iso(now + DAY),
          resolution: "DAY",
          apiKeyIds: Array.from({ length: 1_001 }, (_, i) => `k${i}`),
        },
        ["apiKeyIds"],
      ],
    ];
    for (const [variables, fields] of cases) {
      const result = failure(await t.gql(STATS, variables));
      assert.deepEqual(
        [result.status, result.code, result.fields, result.data],
        [422, "BAD_USER_INPUT", fields, null],
        JSON.stringify({ ...variables, apiKeyIds: undefined }),
      );
    }
    // The widest allowed MINUTE range passes.
    await stats({ from: iso(now - 31 * DAY), until: iso(now), resolution: "MINUTE" });
  });

  it("is for ADMIN and USER_ACCOUNT_MANAGEMENT users only", async () => {
    const manager = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
    const dataManager = await userWithRoles(t, ["DATA_MANAGEMENT"]);
    await stats(around("DAY"), manager);
    const refused = failure(await t.gql(STATS, around("DAY"), { as: dataManager }));
    assert.deepEqual([refused.status, refused.code, refused.reason], [403, "FORBIDDEN", "MISSING_ROLE"]);
  });
});

/** The database, except that the first insert into `table` (also inside a transaction) fails. */
function failingFirstInsert(db: Db, table: unknown): Db {
  let armed = true;
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value = Reflect.get(object, property);
        if (typeof value !== "function") return value;
        if (property === "insert") {
          return (into: unknown) => {
            if (armed && into === table) {
              armed = false;
              throw new Error("simulated outage");
            }
            return value.call(object, into);
          };
        }
        if (property === "transaction") {
          return (run: (tx: object) => Promise<unknown>, ...rest: unknown[]) =>
            value.call(object, (tx: object) => run(wrap(tx)), ...rest);
        }
        return value.bind(object);
      },
    });
  return wrap(db);
}

describe("UsageRecorder", () => {
  const logger = createLogger({ LOG_LEVEL: "silent" });

  async function keyActor(): Promise<Actor> {
    const key = await createApiKey(t);
    const [row] = await t.app.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    return {
      kind: "apiKey",
      organisationId: row.organisationId,
      apiKeyId: key.id,
      eventIds: [],
      canWrite: false,
      limits: { perMinute: 100, concurrency: 10 },
    };
  }

  async function stored(actor: Actor) {
    assert.equal(actor.kind, "apiKey");
    const principal = `key:${actor.kind === "apiKey" ? actor.apiKeyId : ""}`;
    const read = async (table: typeof apiUsageMinutes | typeof apiUsageDays) =>
      (
        await t.app.database.db
          .select()
          .from(table)
          .where(and(eq(table.principal, principal)))
      ).map((row) => [row.calls, row.clientErrors, row.serverErrors]);
    return { minutes: await read(apiUsageMinutes), days: await read(apiUsageDays) };
  }

  it("loses nothing and counts nothing twice when a flush fails half-way", async () => {
    const actor = await keyActor();
    const recorder = new UsageRecorder(failingFirstInsert(t.app.database.db, apiUsageDays), logger);
    const at = Date.now() - 120_000;
    recorder.record(actor, "GRAPHQL", 200, at);
    recorder.record(actor, "GRAPHQL", 404, at);
    recorder.record(actor, "GRAPHQL", 500, at);
    await recorder.flush(); // the minutes are written, the days fail: all of it must be retried
    assert.deepEqual(await stored(actor), { minutes: [], days: [] });
    recorder.record(actor, "GRAPHQL", 200, at);
    await recorder.flush();
    assert.deepEqual(await stored(actor), { minutes: [[4, 1, 1]], days: [[4, 1, 1]] });
  });

  it("does not count written calls again when the after-flush hook fails", async () => {
    const actor = await keyActor();
    let failures = 1;
    const recorder = new UsageRecorder(t.app.database.db, logger, async () => {
      if (failures-- > 0) throw new Error("simulated hook failure");
    });
    recorder.record(actor, "JSON", 200);
    recorder.record(actor, "JSON", 200);
    await recorder.flush();
    await recorder.flush();
    assert.deepEqual(await stored(actor), { minutes: [[2, 0, 0]], days: [[2, 0, 0]] });
  });
});
