import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type ApiKeyRef,
  createApiKey,
  createEvent,
  createFunction,
  createVisitor,
  type FunctionRef,
  type FunctionRunRef,
  functionCode,
  runFunction,
} from "../support/factories.js";
import { clockInMinute, startApp, type TestApp } from "../support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type Json = Record<string, unknown>;

async function succeeded(fn: FunctionRef, input?: unknown): Promise<FunctionRunRef> {
  const run = await runFunction(t, fn.id, input);
  assert.equal(run.status, "SUCCEEDED", `${run.error ?? ""}\n${run.logs}`);
  return run;
}

const STATS = `query($from: DateTimeISO!, $until: DateTimeISO!, $keys: [ID!]) {
  apiStatistics(from: $from, until: $until, resolution: MINUTE, apiKeyIds: $keys) { type apiKeyId calls errors } }`;

/** Every call of one API key in the statistics, summed by type. */
async function callsOf(key: ApiKeyRef) {
  await t.app.usage.flush();
  const now = Date.now();
  const data = await t.ok<{
    apiStatistics: { type: string; apiKeyId: string; calls: number; errors: number }[];
  }>(STATS, {
    from: new Date(now - 3_600_000).toISOString(),
    until: new Date(now + 3_600_000).toISOString(),
    keys: [key.id],
  });
  const sum: Record<string, { calls: number; errors: number }> = {};
  for (const bucket of data.apiStatistics) {
    assert.equal(bucket.apiKeyId, key.id);
    sum[bucket.type] ??= { calls: 0, errors: 0 };
    sum[bucket.type].calls += bucket.calls;
    sum[bucket.type].errors += bucket.errors;
  }
  return sum;
}

describe("visit.fetch: this server's REST routes from a function", () => {
  it("lists visitors through v2, creates one through v1 JSON, reads it as XML, as the function's key and within its events", async () => {
    const event = await createEvent(t);
    const other = await createEvent(t);
    const existing = await createVisitor(t, event.id);
    const key = await createApiKey(t, { eventIds: [event.id], canWrite: true });
    const fn = await createFunction(t, {
      apiKeyId: key.id,
      code: functionCode(`
        const { eventId, otherId } = ctx.input;
        const listed = await visit.fetch("/create/v2/visitors/" + eventId + "?registrationStates=registered&limit=10");
        const visitors = await listed.json();
        const created = await visit.fetch("/json/visitors/" + eventId, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ "registration-state": "registered", contact: { "first-name": "Grace" } }),
        });
        const record = await created.json();
        const xml = await visit.fetch("/xml/visitors/" + eventId + "/" + record.id);
        const outside = await visit.fetch("/create/v2/visitors/" + otherId);
        return {
          listed: { status: listed.status, ok: listed.ok, type: listed.headers.get("content-type"), ids: visitors.map((v) => v.id), state: visitors[0].registrationState },
          created: { status: created.status, location: created.headers.get("location"), firstName: record.contact["first-name"] },
          xml: { status: xml.status, type: xml.headers.get("content-type"), text: await xml.text() },
          outside: { status: outside.status, ok: outside.ok, body: await outside.json() },
        };`),
    });
    const run = await succeeded(fn, { eventId: event.id, otherId: other.id });
    const result = run.result as Record<string, Json>;
    assert.deepEqual(result.listed, {
      status: 200,
      ok: true,
      type: "application/json; charset=utf-8",
      ids: [existing.id],
      state: "registered",
    });
    const created = result.created;
    assert.equal(created.status, 201);
    assert.equal(created.firstName, "Grace");
    const createdId = String(created.location).split("/").at(-1);
    assert.equal(created.location, `/json/visitors/${event.id}/${createdId}`);
    assert.equal(result.xml.status, 200);
    assert.match(String(result.xml.text), /<first-name>Grace<\/first-name>/);
    const outside = result.outside as { status: number; ok: boolean; body: Json };
    assert.deepEqual([outside.status, outside.ok], [403, false]);
    assert.equal(outside.body.reason, "EVENT_NOT_ALLOWED");
    assert.equal(outside.body.errorCode, "FORBIDDEN");

    // The visitor is really there, written as the function's key.
    const visitors = await t.ok<{ visitors: { edges: { node: { id: string } }[] } }>(
      "query($e: ID!) { visitors(eventId: $e) { edges { node { id } } } }",
      { e: event.id },
    );
    assert.ok(visitors.visitors.edges.some((edge) => edge.node.id === createdId));
    // Counted as the key's own REST calls: three JSON (one refused), one XML; nothing as FUNCTION.
    assert.deepEqual(await callsOf(key), { JSON: { calls: 3, errors: 1 }, XML: { calls: 1, errors: 0 } });
  });

  it("refuses any path that is not one of the REST routes, with a clear error, and counts nothing", async () => {
    const key = await createApiKey(t);
    const fn = await createFunction(t, {
      apiKeyId: key.id,
      code: functionCode(`
        const outcomes = {};
        for (const path of ctx.input) {
          try { outcomes[path] = (await visit.fetch(path)).status; }
          catch (error) { outcomes[path] = error.message; }
        }
        return outcomes;`),
    });
    const paths = [
      "/graphql",
      "/functions/anything",
      "/healthz",
      "/json/../graphql",
      "https://example.com/json/events",
      "//example.com/json/events",
      "json/events",
    ];
    const outcomes = (await succeeded(fn, paths)).result as Record<string, unknown>;
    for (const path of paths.slice(0, 4)) {
      assert.match(
        String(outcomes[path]),
        /visit\.fetch refused .*: it reaches this server's REST routes only/,
        path,
      );
    }
    for (const path of paths.slice(4)) {
      assert.match(String(outcomes[path]), /visit\.fetch takes a path of this server/, path);
    }
    const misuse = await createFunction(t, {
      apiKeyId: key.id,
      code: functionCode(`
        const attempt = async (...args) => { try { await visit.fetch(...args); return "answered"; } catch (error) { return error.message; } };
        return [await attempt(42), await attempt("/json/events", { method: "POST", body: { not: "text" } })];`),
    });
    assert.deepEqual((await succeeded(misuse)).result, [
      "visit.fetch: path must be a string such as /create/v2/expos",
      "visit.fetch: body must be a string (use JSON.stringify for JSON)",
    ]);
    assert.deepEqual(await callsOf(key), {});
  });

  it("answers like fetch for the route's errors: 401 for a disabled key, 403 for a read-only key's write, 404, 422", async () => {
    const event = await createEvent(t);
    const key = await createApiKey(t, { canWrite: false });
    const fn = await createFunction(t, {
      apiKeyId: key.id,
      code: functionCode(`
        const post = (path, body, type = "application/json") =>
          visit.fetch(path, { method: "POST", headers: { "content-type": type }, body });
        const statuses = [];
        for (const response of [
          await post("/create/v2/visitors/${event.id}", "{}"),
          await visit.fetch("/create/v2/visitors/${event.id}/nosuchvisitor"),
          await visit.fetch("/create/v2/visitors/${event.id}?limit=500"),
          await visit.fetch("/create/v2/visitors/${event.id}?contactId=x"),
          await post("/json/visitors/${event.id}", "{}", "text/plain"),
        ]) {
          const body = await response.json();
          statuses.push([response.status, body.errorCode, body.reason ?? null]);
        }
        return statuses;`),
    });
    assert.deepEqual((await succeeded(fn)).result, [
      [403, "FORBIDDEN", "READ_ONLY_KEY"],
      [404, "NOT_FOUND", null],
      [422, "BAD_USER_INPUT", null],
      [400, "BAD_REQUEST", null],
      [415, "UNSUPPORTED_MEDIA_TYPE", null],
    ]);

    await t.ok("mutation($id: ID!) { updateApiKey(id: $id, input: { state: DISABLED }) { id } }", {
      id: key.id,
    });
    const disabled = await createFunction(t, {
      apiKeyId: key.id,
      code: functionCode(`
        const response = await visit.fetch("/json/events");
        return [response.status, (await response.json()).reason];`),
    });
    assert.deepEqual((await succeeded(disabled)).result, [401, "KEY_DISABLED"]);
  });

  it("applies the key's calls per minute in a background task (429 with Retry-After)", async (ctx) => {
    clockInMinute(ctx);
    const key = await createApiKey(t, { rateLimitPerMinute: 2 });
    const fn = await createFunction(t, {
      apiKeyId: key.id,
      code: functionCode(`
        const outcomes = [];
        for (let i = 0; i < 3; i++) {
          const response = await visit.fetch("/create/v2/expos");
          outcomes.push([response.status, response.headers.get("retry-after") !== null]);
        }
        return outcomes;`),
    });
    assert.deepEqual((await succeeded(fn)).result, [
      [200, false],
      [200, false],
      [429, true],
    ]);
  });

  it("lets an endpoint whose key allows one call at a time use visit.fetch (per-minute limit only)", async () => {
    const event = await createEvent(t);
    await createVisitor(t, event.id);
    const key = await createApiKey(t, { concurrencyLimit: 1 });
    await createFunction(t, {
      type: "ENDPOINT",
      key: "visit-fetch-endpoint",
      apiKeyId: key.id,
      code: functionCode(`
        const first = await visit.fetch("/create/v2/visitors/" + ctx.request.query.eventId);
        const second = await visit.fetch("/xml/visitors/" + ctx.request.query.eventId);
        return [first.status, (await first.json()).length, second.status];`),
    });
    const response = await t.fetch(`/functions/visit-fetch-endpoint?eventId=${event.id}`, {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    assert.deepEqual([response.status, await response.json()], [200, [200, 1, 200]]);
  });
});
