import { must } from "./support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it, type TestContext } from "node:test";
import { getTableName } from "drizzle-orm";
import { Redis } from "ioredis";
import postgres from "postgres";
import { visitors } from "@/schema/tables/index.js";
import { AppError } from "@/src/errors/app-error.js";
import {
  type Limits,
  memoryRateLimiter,
  type RateLimiter,
  redisRateLimiter,
} from "@/src/services/rate-limiter.js";
import { createApiKey, createEvent, failure } from "./support/factories.js";
import { clockInMinute, startApp, type TestApp, waitFor } from "./support/harness.js";

// Per-key limits: calls per minute (fixed UTC-minute window) and calls in flight; refusals are 429
// RATE_LIMITED with Retry-After. In memory for one instance, in Redis for many.

const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;

/** Pins the clock 10 s into a UTC minute, so a test never straddles a window. */
function pinMinute(t: TestContext) {
  const now = Math.floor(Date.now() / 60_000) * 60_000 + 10_000;
  t.mock.method(Date, "now", () => now);
}

async function refusal(attempt: Promise<unknown>): Promise<AppError> {
  try {
    await attempt;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail("expected RATE_LIMITED");
}

/** The limiter contract, for any implementation. `make` gives limiters that share their counters. */
function limiterContract(make: () => RateLimiter) {
  const limits = (perMinute: number, concurrency: number): Limits => ({ perMinute, concurrency });
  const key = () => `key-${randomBytes(6).toString("hex")}`;
  /** Pins the clock 10 s into a UTC minute, so a test never straddles a window. */
  const pinClock = (t: TestContext, at = Math.floor(Date.now() / 60_000) * 60_000 + 10_000) => {
    let now = at;
    t.mock.method(Date, "now", () => now);
    return { advance: (ms: number) => (now += ms) };
  };

  it("allows perMinute calls in a minute, then refuses with RATE_LIMITED and the seconds to the next minute", async (t) => {
    pinClock(t);
    const limiter = make();
    const id = key();
    for (let i = 0; i < 3; i++) (await limiter.acquire(id, limits(3, 10)))();
    const error = await refusal(limiter.acquire(id, limits(3, 10)));
    assert.equal(error.code, "RATE_LIMITED");
    assert.equal(error.status, 429);
    assert.equal(error.retryAfter, 50); // pinned 10 s into the minute
  });

  it("counts each key on its own", async (t) => {
    pinClock(t);
    const limiter = make();
    const [first, second] = [key(), key()];
    (await limiter.acquire(first, limits(1, 10)))();
    await refusal(limiter.acquire(first, limits(1, 10)));
    (await limiter.acquire(second, limits(1, 10)))();
  });

  it("starts a new window with the next UTC minute", async (t) => {
    const clock = pinClock(t);
    const limiter = make();
    const id = key();
    (await limiter.acquire(id, limits(2, 10)))();
    (await limiter.acquire(id, limits(2, 10)))();
    await refusal(limiter.acquire(id, limits(2, 10)));
    clock.advance(49_000); // 59 s into the minute: still refused, 1 s to wait
    assert.equal((await refusal(limiter.acquire(id, limits(2, 10)))).retryAfter, 1);
    clock.advance(1_000);
    (await limiter.acquire(id, limits(2, 10)))();
  });

  it("applies the limits it is given (a key's own limits override the default)", async (t) => {
    pinClock(t);
    const limiter = make();
    const id = key();
    for (let i = 0; i < 5; i++) (await limiter.acquire(id, limits(8, 10)))();
    await refusal(limiter.acquire(id, limits(5, 10)));
    for (let i = 0; i < 3; i++) (await limiter.acquire(id, limits(8, 10)))();
    await refusal(limiter.acquire(id, limits(8, 10)));
  });

  it("refuses a call over the concurrency limit with Retry-After 1, and reuses a released slot", async (t) => {
    pinClock(t);
    const limiter = make();
    const id = key();
    const first = await limiter.acquire(id, limits(100, 2));
    const second = await limiter.acquire(id, limits(100, 2));
    const error = await refusal(limiter.acquire(id, limits(100, 2)));
    assert.deepEqual([error.code, error.retryAfter], ["RATE_LIMITED", 1]);
    first();
    const third = await limiter.acquire(id, limits(100, 2));
    // Releasing twice frees one slot, not two.
    second();
    second();
    const fourth = await limiter.acquire(id, limits(100, 2));
    await refusal(limiter.acquire(id, limits(100, 2)));
    third();
    fourth();
    (await limiter.acquire(id, limits(100, 2)))();
  });

  it("does not count a call refused for concurrency against the minute", async (t) => {
    pinClock(t);
    const limiter = make();
    const id = key();
    const held = await limiter.acquire(id, limits(2, 1));
    for (let i = 0; i < 5; i++) await refusal(limiter.acquire(id, limits(2, 1)));
    held();
    (await limiter.acquire(id, limits(2, 1)))();
    await refusal(limiter.acquire(id, limits(2, 1)));
  });
}

describe("memoryRateLimiter", () => {
  limiterContract(() => memoryRateLimiter());
});

describe("redisRateLimiter", { skip: REDIS_URL ? false : "needs a Redis server: set REDIS_URL" }, () => {
  // One random prefix for this file; only these keys are ever touched or deleted.
  const prefix = `visit-test-rl-${randomBytes(6).toString("hex")}`;
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(must(REDIS_URL, "REDIS_URL"), { lazyConnect: false, maxRetriesPerRequest: 1 });
    connections.push(redis);
    return redis;
  };
  after(async () => {
    if (connections.length === 0) return;
    const redis = connections[0];
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    await Promise.all(connections.map((connection) => connection.quit()));
  });

  // Each instance admits on its local counts and exchanges them with Redis in batches; here every
  // call waits for an exchange first, as if one sync interval had passed.
  limiterContract(() => {
    const limiter = redisRateLimiter(connect(), prefix);
    return {
      acquire: async (keyId, limits) => {
        await limiter.sync();
        return limiter.acquire(keyId, limits);
      },
      status: () => limiter.status(),
      sync: () => limiter.sync(),
      close: () => limiter.close(),
    };
  });

  it("shares a key's calls and slots across instances once they have synced", async (t) => {
    pinMinute(t);
    const [a, b] = [redisRateLimiter(connect(), prefix), redisRateLimiter(connect(), prefix)];
    const syncBoth = async () => {
      for (let round = 0; round < 2; round++) for (const limiter of [a, b]) await limiter.sync();
    };
    const id = `key-${randomBytes(6).toString("hex")}`;
    const limits = { perMinute: 4, concurrency: 1 };
    // B's first call of the key is admitted on what B knew: the tolerance of one sync interval.
    (await a.acquire(id, limits))();
    (await b.acquire(id, limits))();
    await syncBoth();
    (await a.acquire(id, limits))();
    const held = await a.acquire(id, limits); // the 4th call, still in flight
    await syncBoth();
    const [byConcurrency, byMinute] = [
      await refusal(b.acquire(id, { ...limits, perMinute: 5 })),
      await refusal(b.acquire(id, limits)),
    ];
    assert.match(byConcurrency.message, /concurrent/, "A's call in flight counts on B");
    assert.match(byMinute.message, /calls per minute/, "A's calls count on B");
    held();
    await syncBoth();
    (await b.acquire(id, { ...limits, perMinute: 5 }))();
  });

  it("frees the slots of a crashed holder once they are older than the longest request", async (ctx) => {
    // A stopped clock: only the test's advances count, however slow the machine.
    let now = Math.floor(Date.now() / 60_000) * 60_000 + 10_000;
    ctx.mock.method(Date, "now", () => now);
    const clock = { advance: (ms: number) => (now += ms) };
    const redis = connect();
    const id = `key-${randomBytes(6).toString("hex")}`;
    const crashed = redisRateLimiter(redis, prefix, { maxRequestMs: 300 });
    const survivor = redisRateLimiter(connect(), prefix, { maxRequestMs: 300 });
    await crashed.acquire(id, { perMinute: 100, concurrency: 1 }); // never released: the holder died
    await crashed.close(); // its last sync: it never releases or syncs again
    // The survivor's first call of the key is admitted on what it knew (nothing) and syncs.
    (await survivor.acquire(id, { perMinute: 100, concurrency: 1 }))();
    clock.advance(250); // younger than the longest request: still held
    await survivor.sync();
    await refusal(survivor.acquire(id, { perMinute: 100, concurrency: 1 }));
    clock.advance(100);
    await survivor.sync();
    const release = await survivor.acquire(id, { perMinute: 100, concurrency: 1 });
    release();
  });

  it("leaves nothing in Redis without an expiry", async () => {
    const redis = connect();
    const id = `key-${randomBytes(6).toString("hex")}`;
    const limiter = redisRateLimiter(redis, prefix);
    const release = await limiter.acquire(id, { perMinute: 100, concurrency: 5 });
    await limiter.sync();
    const slots = `${prefix}:rl:slots:${id}`;
    assert.equal(await redis.hlen(slots), 1, "the slot is taken");
    const keys = await redis.keys(`${prefix}:*${id}*`);
    assert.equal(keys.length, 2, keys.join(", "));
    for (const name of keys) {
      const ttl = await redis.pttl(name);
      assert.ok(ttl > 0 && ttl <= 600_000, `${name}: ${ttl}`);
    }
    release();
    await waitFor("the released slot to be removed", async () => (await redis.hlen(slots)) === 0);
  });
});

describe("redisRateLimiter while Redis is unreachable", () => {
  it("enforces each key's limit on this instance without waiting, and reports the outage once", async (t) => {
    pinMinute(t);
    // Port 1 on loopback: nothing listens, so every command fails; no traffic leaves the machine.
    const redis = new Redis("redis://127.0.0.1:1", {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: 1_000,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    redis.on("error", () => {});
    const outages: unknown[] = [];
    const limiter = redisRateLimiter(redis, "unreachable", { onOutage: (error) => outages.push(error) });
    try {
      for (let round = 0; round < 3; round++) {
        (await limiter.acquire("key", { perMinute: 3, concurrency: 1 }))();
        await limiter.sync();
      }
      await refusal(limiter.acquire("key", { perMinute: 3, concurrency: 1 }));
      await limiter.sync();
      assert.equal(outages.length, 1);
      assert.deepEqual(limiter.status(), { shared: false, outages: 1 });
    } finally {
      await limiter.close();
      redis.disconnect();
    }
  });
});

describe("rate limits over HTTP", () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({ RATE_LIMIT_PER_MINUTE: "5" });
  });
  after(() => t.close());

  const EVENTS = "{ events { id } }";

  it("refuses the 6th call in a minute with 429 RATE_LIMITED and Retry-After (RATE_LIMIT_PER_MINUTE=5)", async (ctx) => {
    const key = await createApiKey(t);
    const other = await createApiKey(t);
    clockInMinute(ctx);
    for (let i = 0; i < 5; i++) await t.ok(EVENTS, {}, { as: key.secret });
    const refused = await t.gql(EVENTS, {}, { as: key.secret });
    assert.deepEqual(failure(refused), {
      status: 429,
      code: "RATE_LIMITED",
      reason: undefined,
      fields: [],
      data: null,
    });
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
      `Retry-After: ${retryAfter}`,
    );
    const secondsLeft = Math.ceil((60_000 - (Date.now() % 60_000)) / 1000);
    assert.ok(Math.abs(retryAfter - secondsLeft) <= 1, `Retry-After ${retryAfter}, ${secondsLeft} s left`);

    // Another key, and users, have their own budget.
    await t.ok(EVENTS, {}, { as: other.secret });
    await t.ok(EVENTS);

    // The refused call is counted as a client error of the key.
    await t.app.usage.flush();
    const now = Date.now();
    const stats = await t.ok<{ apiStatistics: { calls: number; clientErrors: number }[] }>(
      "query($from: DateTimeISO!, $until: DateTimeISO!, $ids: [ID!]) { apiStatistics(from: $from, until: $until, resolution: HOUR, apiKeyIds: $ids) { calls clientErrors } }",
      {
        from: new Date(now - 3_600_000).toISOString(),
        until: new Date(now + 60_000).toISOString(),
        ids: [key.id],
      },
    );
    assert.deepEqual(stats.apiStatistics, [{ calls: 6, clientErrors: 1 }]);
  });

  it("names the seconds to wait in extensions.retryAfter too", async (ctx) => {
    const key = await createApiKey(t, { rateLimitPerMinute: 1 });
    clockInMinute(ctx);
    await t.ok(EVENTS, {}, { as: key.secret });
    const refused = await t.gql(EVENTS, {}, { as: key.secret });
    assert.equal(refused.status, 429);
    assert.equal(refused.errors?.[0]?.extensions?.retryAfter, Number(refused.headers.get("retry-after")));
  });

  it("lets a key's rateLimitPerMinute override the default, both ways", async (ctx) => {
    const generous = await createApiKey(t, { rateLimitPerMinute: 8 });
    const strict = await createApiKey(t, { rateLimitPerMinute: 2 });
    clockInMinute(ctx);
    for (let i = 0; i < 8; i++) await t.ok(EVENTS, {}, { as: generous.secret });
    assert.equal((await t.gql(EVENTS, {}, { as: generous.secret })).status, 429);
    for (let i = 0; i < 2; i++) await t.ok(EVENTS, {}, { as: strict.secret });
    assert.equal((await t.gql(EVENTS, {}, { as: strict.secret })).status, 429);

    // Raising the limit takes effect on the next call.
    await t.ok("mutation($id: ID!) { updateApiKey(id: $id, input: { rateLimitPerMinute: 4 }) { id } }", {
      id: strict.id,
    });
    await t.ok(EVENTS, {}, { as: strict.secret });
  });

  it("refuses a second call while a key with concurrencyLimit 1 has one in flight", {
    skip: DATABASE_URL
      ? false
      : "PGlite runs queries on the event loop's thread, so no second request is served while one is in the database; the limiter units above cover concurrency",
  }, async () => {
    const event = await createEvent(t);
    const key = await createApiKey(t, { canWrite: true, concurrencyLimit: 1, rateLimitPerMinute: 10_000 });
    await t.ok(EVENTS, {}, { as: key.secret }); // the key is verified and cached

    // The test holds a lock that the call's insert waits for: the call stays in flight, holding
    // its slot, until the lock is released.
    const table = getTableName(visitors);
    const sql = postgres(must(t.db.url, "t.db.url"), { max: 2, onnotice: () => {} });
    try {
      const lock = await sql.reserve();
      await lock`begin`;
      await lock.unsafe(`lock table "${table}" in exclusive mode`);
      const inFlight = t.gql(
        "mutation($e: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $e, input: $input) { id } }",
        { e: event.id, input: { registrationState: "REGISTERED", contact: { lastName: "In flight" } } },
        { as: key.secret },
      );
      try {
        await waitFor("the call to wait for the lock", async () => {
          const [row] = await sql`select count(*)::int as waiting from pg_locks
            where database = (select oid from pg_database where datname = current_database())
              and relation = ${table}::regclass and not granted`;
          return row.waiting > 0;
        });
        const refused = await t.gql(EVENTS, {}, { as: key.secret });
        assert.deepEqual([refused.status, refused.errors?.[0]?.extensions?.code], [429, "RATE_LIMITED"]);
        assert.match(refused.errors?.[0]?.message ?? "", /concurrent/);
        assert.equal(refused.headers.get("retry-after"), "1");
      } finally {
        await lock`commit`;
        lock.release();
      }
      const result = await inFlight;
      assert.equal(result.status, 200, JSON.stringify(result.errors));
    } finally {
      await sql.end();
    }
    // The slot was released: the next call passes.
    await t.ok(EVENTS, {}, { as: key.secret });
  });
});
