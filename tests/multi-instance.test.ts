import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApiKey, createFunction, failure, functionCode } from "./support/factories.js";
import {
  clockInMinute,
  type GqlResult,
  type SecondInstance,
  startApp,
  startSecondInstance,
  type TestApp,
  waitFor,
} from "./support/harness.js";

// Two instances of one deployment (same PostgreSQL database, same Redis prefix) share one rate
// limit per key and one cache invalidation. PGlite cannot be shared by two instances, and without
// Redis each instance is on its own by design.

const skip =
  !process.env.DATABASE_URL || !process.env.REDIS_URL
    ? "needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (two PGlite instances cannot share one database)"
    : false;

const EVENTS = "{ events { id } }";
const UPDATE =
  "mutation($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { id } }";

describe("two instances", { skip }, () => {
  let a: TestApp;
  let b: SecondInstance;
  before(async () => {
    a = await startApp();
    b = await startSecondInstance(a);
  });
  after(() => a?.close());

  /** Polls `call` until its answer passes `done`; returns how long that took (failing after `limitMs`). */
  async function within(
    call: () => Promise<GqlResult>,
    done: (result: ReturnType<typeof failure>) => boolean,
    limitMs = 2_000,
  ) {
    const started = performance.now();
    let last: ReturnType<typeof failure> | undefined;
    await waitFor(
      "the change to reach the other instance",
      async () => {
        last = failure(await call());
        return done(last);
      },
      limitMs,
      20,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: still ${last?.status} ${last?.reason ?? ""}`);
    });
    return performance.now() - started;
  }
  const refusedWithin = (call: () => Promise<GqlResult>, reason: string) =>
    within(call, (result) => result.reason === reason);
  const acceptedWithin = (call: () => Promise<GqlResult>) => within(call, (result) => result.status === 200);

  it("share one database and one prefix", async () => {
    assert.equal(b.app.database.driver, "postgres");
    assert.notEqual(b.app.database, a.app.database);
    const key = await createApiKey(a);
    await b.ok(EVENTS, {}, { as: key.secret });
  });

  it("share one rate limit: 6 per minute split across both refuses the 7th on either", async (ctx) => {
    const key = await createApiKey(a, { rateLimitPerMinute: 6 });
    clockInMinute(ctx);
    for (let i = 0; i < 3; i++) {
      await a.ok(EVENTS, {}, { as: key.secret });
      await b.ok(EVENTS, {}, { as: key.secret });
    }
    // Shared as of the instances' last exchange (every RATE_LIMIT_SYNC_MS): make both exchange twice,
    // so each has the other's calls, as it would one sync interval later.
    for (let round = 0; round < 2; round++) {
      for (const instance of [a, b]) await instance.app.rateLimiter.sync();
    }
    for (const instance of [a, b]) {
      const refused = await instance.gql(EVENTS, {}, { as: key.secret });
      assert.deepEqual([refused.status, refused.errors?.[0]?.extensions?.code], [429, "RATE_LIMITED"]);
      assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    }
  });

  it("share one cache invalidation: a key cached on B and disabled through A is refused on B within 2 s", async () => {
    const key = await createApiKey(a);
    await b.ok(EVENTS, {}, { as: key.secret });
    // B serves the key from its cache: a call costs B no SQL statement (no flush in between).
    await b.app.usage.stop();
    try {
      const before = b.app.database.stats.queries;
      await b.ok("{ __typename }", {}, { as: key.secret });
      assert.equal(b.app.database.stats.queries, before, "the key is not cached on B");
    } finally {
      b.app.usage.start(a.env.STATS_FLUSH_MS);
    }

    await a.ok(UPDATE, { id: key.id, input: { state: "DISABLED" } });
    const disabledAfter = await refusedWithin(() => b.gql(EVENTS, {}, { as: key.secret }), "KEY_DISABLED");
    assert.ok(disabledAfter < 2_000, `${disabledAfter} ms`);

    // Re-enabled through B: A accepts it again (A had it cached as disabled).
    await a.gql(EVENTS, {}, { as: key.secret });
    await b.ok(UPDATE, { id: key.id, input: { state: "ACTIVE" } });
    await acceptedWithin(() => a.gql(EVENTS, {}, { as: key.secret }));

    // Narrowed allowedIps through A: refused on B.
    await b.ok(EVENTS, {}, { as: key.secret });
    await a.ok(UPDATE, { id: key.id, input: { allowedIps: ["10.0.0.0/8"] } });
    await refusedWithin(() => b.gql(EVENTS, {}, { as: key.secret }), "IP_NOT_ALLOWED");

    // Deleted through A: unknown on B.
    await a.ok(UPDATE, { id: key.id, input: { allowedIps: [] } });
    await acceptedWithin(() => b.gql(EVENTS, {}, { as: key.secret }));
    await a.ok("mutation($id: ID!) { deleteApiKey(id: $id) { id } }", { id: key.id });
    await refusedWithin(() => b.gql(EVENTS, {}, { as: key.secret }), "UNKNOWN_KEY");
  });

  it("share the endpoint-function cache: a function disabled through A answers 503 on B within 2 s", async () => {
    const key = await createApiKey(a);
    const fn = await createFunction(a, {
      type: "ENDPOINT",
      key: `ping-${key.id}`,
      apiKeyId: key.id,
      code: functionCode("return { pong: true };"),
    });
    const call = () =>
      fetch(`${b.url}/functions/ping-${key.id}`, { headers: { authorization: `Bearer ${key.secret}` } });
    assert.equal((await call()).status, 200);
    assert.equal((await call()).status, 200, "cached on B");
    await a.ok("mutation($id: ID!) { updateFunction(id: $id, input: { enabled: false }) { id } }", {
      id: fn.id,
    });
    await waitFor(
      "B to answer 503 for the disabled function",
      async () => (await call()).status === 503,
      2_000,
      20,
    );
  });

  it("count calls on both instances in one set of statistics", async (ctx) => {
    const key = await createApiKey(a);
    clockInMinute(ctx);
    for (let i = 0; i < 2; i++) await a.ok(EVENTS, {}, { as: key.secret });
    for (let i = 0; i < 3; i++) await b.ok(EVENTS, {}, { as: key.secret });
    await b.gql('{ event(id: "zzzzzzzzzzzzz") { id } }', {}, { as: key.secret });
    await Promise.all([a.app.usage.flush(), b.app.usage.flush()]);
    const now = Date.now();
    const stats = await b.ok<{ apiStatistics: { calls: number; errors: number }[] }>(
      "query($from: DateTimeISO!, $until: DateTimeISO!, $ids: [ID!]) { apiStatistics(from: $from, until: $until, resolution: MINUTE, apiKeyIds: $ids) { calls errors } }",
      {
        from: new Date(now - 600_000).toISOString(),
        until: new Date(now + 60_000).toISOString(),
        ids: [key.id],
      },
    );
    assert.deepEqual(stats.apiStatistics, [{ calls: 6, errors: 1 }]);
  });
});
