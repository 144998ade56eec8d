import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  API_KEY_FIELDS,
  createApiKey,
  createEvent,
  createVisitor,
  failure,
  otherOrganisation,
} from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

// SPEC section 1: an id of another organisation behaves exactly as an id that does not exist, for
// API keys, their audit log and statistics; nothing of one organisation changes through another.

let t: TestApp;
let other: string; // the other organisation's admin
before(async () => {
  t = await startApp();
  other = await otherOrganisation(t);
});
after(() => t.close());

const GET = `query($id: ID!) { apiKey(id: $id) { ${API_KEY_FIELDS} } }`;
const LIST = `{ apiKeys { ${API_KEY_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { id } }`;
const DELETE = "mutation($id: ID!) { deleteApiKey(id: $id) { id } }";
const AUDIT = "query($apiKeyId: ID) { apiKeyAuditLog(apiKeyId: $apiKeyId) { id apiKeyId action } }";
const STATS = `query($from: DateTimeISO!, $until: DateTimeISO!, $resolution: StatisticsResolution!, $apiKeyIds: [ID!]) {
  apiStatistics(from: $from, until: $until, resolution: $resolution, apiKeyIds: $apiKeyIds) { start type apiKeyId userId calls errors }
}`;
const EVENTS = "{ events { id } }";
/** A well-formed id that exists nowhere. */
const MISSING = "zzzzzzzzzzzzzzzzzzzz";

const window = () => ({
  from: new Date(Date.now() - 3_600_000).toISOString(),
  until: new Date(Date.now() + 60_000).toISOString(),
});

describe("API keys of two organisations", () => {
  it("answers another organisation's key id exactly as a missing one (NOT_FOUND), changing nothing", async () => {
    const key = await createApiKey(t, { comments: "ours", canWrite: true });
    await t.ok(EVENTS, {}, { as: key.secret });
    const before = await t.ok<{ apiKey: Record<string, unknown> }>(GET, { id: key.id });

    const attempts: [string, Record<string, unknown>][] = [
      [GET, { id: key.id }],
      [UPDATE, { id: key.id, input: { comments: "theirs" } }],
      [UPDATE, { id: key.id, input: { state: "DISABLED" } }],
      [UPDATE, { id: key.id, input: { allowedIps: ["10.0.0.1"], canWrite: false } }],
      [DELETE, { id: key.id }],
    ];
    for (const [query, variables] of attempts) {
      const foreign = failure(await t.gql(query, variables, { as: other }));
      const missing = failure(await t.gql(query, { ...variables, id: MISSING }, { as: other }));
      assert.deepEqual(
        foreign,
        { status: 404, code: "NOT_FOUND", reason: undefined, fields: [], data: null },
        query,
      );
      assert.deepEqual(foreign, missing, query);
    }

    // Nothing changed: same fields, no audit entry beyond CREATED, and the key still works.
    const afterwards = await t.ok<{ apiKey: Record<string, unknown> }>(GET, { id: key.id });
    assert.deepEqual({ ...afterwards.apiKey, lastUsedAt: null }, { ...before.apiKey, lastUsedAt: null });
    const log = await t.ok<{ apiKeyAuditLog: { action: string }[] }>(AUDIT, { apiKeyId: key.id });
    assert.deepEqual(
      log.apiKeyAuditLog.map((entry) => entry.action),
      ["CREATED"],
    );
    await t.ok(EVENTS, {}, { as: key.secret });
  });

  it("lists only the caller's own keys and audit entries", async () => {
    const ours = await createApiKey(t, { comments: "ours" });
    const theirs = await createApiKey(t, { comments: "theirs" }, other);

    const ourList = await t.ok<{ apiKeys: { id: string }[] }>(LIST);
    const theirList = await t.ok<{ apiKeys: { id: string }[] }>(LIST, {}, { as: other });
    assert.ok(ourList.apiKeys.some((row) => row.id === ours.id));
    assert.ok(!ourList.apiKeys.some((row) => row.id === theirs.id));
    assert.deepEqual(
      theirList.apiKeys.map((row) => row.id),
      [theirs.id],
    );

    const ourLog = await t.ok<{ apiKeyAuditLog: { apiKeyId: string }[] }>(AUDIT, {});
    const theirLog = await t.ok<{ apiKeyAuditLog: { apiKeyId: string }[] }>(AUDIT, {}, { as: other });
    assert.ok(!ourLog.apiKeyAuditLog.some((entry) => entry.apiKeyId === theirs.id));
    assert.deepEqual(
      theirLog.apiKeyAuditLog.map((entry) => entry.apiKeyId),
      [theirs.id],
    );
    // Asking for another organisation's key's log is asking for a key with no entries.
    const foreignLog = await t.ok<{ apiKeyAuditLog: unknown[] }>(AUDIT, { apiKeyId: ours.id }, { as: other });
    const missingLog = await t.ok<{ apiKeyAuditLog: unknown[] }>(AUDIT, { apiKeyId: MISSING }, { as: other });
    assert.deepEqual(foreignLog, { apiKeyAuditLog: [] });
    assert.deepEqual(foreignLog, missingLog);
  });

  it("refuses another organisation's event in eventIds exactly as a missing event", async () => {
    const ourEvent = await createEvent(t);
    const before = await t.ok<{ apiKeys: unknown[] }>(LIST, {}, { as: other });
    const create = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }";
    const foreign = failure(await t.gql(create, { input: { eventIds: [ourEvent.id] } }, { as: other }));
    const missing = failure(await t.gql(create, { input: { eventIds: ["zzzzzzzzzzzzz"] } }, { as: other }));
    assert.deepEqual([foreign.status, foreign.code, foreign.fields], [422, "BAD_USER_INPUT", ["eventIds.0"]]);
    assert.deepEqual(foreign, missing);
    assert.deepEqual(await t.ok(LIST, {}, { as: other }), before, "no key was created");

    const theirKey = await createApiKey(t, {}, other);
    const update = failure(
      await t.gql(UPDATE, { id: theirKey.id, input: { eventIds: [ourEvent.id] } }, { as: other }),
    );
    assert.deepEqual([update.status, update.fields], [422, ["eventIds.0"]]);
  });

  it("gives another organisation's key no access to this organisation's data: NOT_FOUND, as for a missing id", async () => {
    const event = await createEvent(t);
    const visitor = await createVisitor(t, event.id);
    const theirs = await createApiKey(t, { canWrite: true }, other);

    const events = await t.ok<{ events: { id: string }[] }>(EVENTS, {}, { as: theirs.secret });
    assert.ok(!events.events.some((row) => row.id === event.id));
    const attempts: [string, Record<string, unknown>][] = [
      ["query($id: ID!) { event(id: $id) { id } }", { id: event.id }],
      ["query($e: ID!) { visitors(eventId: $e) { edges { node { id } } } }", { e: event.id }],
      ["query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { id } }", { e: event.id, id: visitor.id }],
      [
        'mutation($e: ID!, $id: ID!) { updateVisitor(eventId: $e, id: $id, input: { reference: "x" }) { id } }',
        { e: event.id, id: visitor.id },
      ],
      [
        "mutation($e: ID!, $id: ID!) { deleteVisitor(eventId: $e, id: $id) { id } }",
        { e: event.id, id: visitor.id },
      ],
    ];
    for (const [query, variables] of attempts) {
      const result = failure(await t.gql(query, variables, { as: theirs.secret }));
      assert.deepEqual([result.status, result.code, result.reason], [404, "NOT_FOUND", undefined], query);
    }
    const read = await t.ok<{ visitor: { reference: string | null; deleted: boolean } }>(
      "query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { reference deleted } }",
      { e: event.id, id: visitor.id },
    );
    assert.deepEqual(read.visitor, { reference: null, deleted: false });
  });
});

describe("statistics of two organisations", () => {
  it("shows each organisation only its own calls; another organisation's key id filters like a missing one", async () => {
    const ours = await createApiKey(t);
    const theirs = await createApiKey(t, {}, other);
    for (let i = 0; i < 3; i++) await t.ok(EVENTS, {}, { as: ours.secret });
    for (let i = 0; i < 2; i++) await t.ok(EVENTS, {}, { as: theirs.secret });
    await t.app.usage.flush();
    const ids = async (as?: string) =>
      (await t.ok<{ apiKeys: { id: string }[] }>(LIST, {}, { as })).apiKeys.map((row) => row.id);
    const ourKeyIds = await ids();
    const theirKeyIds = await ids(other);

    type Bucket = { apiKeyId: string | null; userId: string | null; calls: number };
    for (const resolution of ["MINUTE", "HOUR", "DAY", "MONTH"]) {
      const range =
        resolution === "MINUTE" || resolution === "HOUR"
          ? window()
          : {
              from: new Date(Date.now() - 40 * 86_400_000).toISOString(),
              until: new Date(Date.now() + 86_400_000).toISOString(),
            };
      const ourStats = await t.ok<{ apiStatistics: Bucket[] }>(STATS, { ...range, resolution });
      const theirStats = await t.ok<{ apiStatistics: Bucket[] }>(
        STATS,
        { ...range, resolution },
        { as: other },
      );
      const keysIn = (buckets: Bucket[]) => new Set(buckets.map((bucket) => bucket.apiKeyId).filter(Boolean));
      assert.ok(keysIn(ourStats.apiStatistics).has(ours.id), resolution);
      assert.ok(!keysIn(ourStats.apiStatistics).has(theirs.id), resolution);
      assert.ok(keysIn(theirStats.apiStatistics).has(theirs.id), resolution);
      for (const id of ourKeyIds) assert.ok(!keysIn(theirStats.apiStatistics).has(id), resolution);
      for (const id of theirKeyIds) assert.ok(!keysIn(ourStats.apiStatistics).has(id), resolution);
      const sum = (buckets: Bucket[], id: string) =>
        buckets.filter((bucket) => bucket.apiKeyId === id).reduce((total, bucket) => total + bucket.calls, 0);
      assert.equal(sum(theirStats.apiStatistics, theirs.id), 2, resolution);

      // Filtering by our key from the other organisation: the same empty answer as a missing key.
      const foreign = await t.ok(STATS, { ...range, resolution, apiKeyIds: [ours.id] }, { as: other });
      const missing = await t.ok(STATS, { ...range, resolution, apiKeyIds: [MISSING] }, { as: other });
      assert.deepEqual(foreign, { apiStatistics: [] }, resolution);
      assert.deepEqual(foreign, missing, resolution);
    }
  });
});
