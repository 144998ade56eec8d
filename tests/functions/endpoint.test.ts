import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  basicAuth,
  createApiKey,
  createEvent,
  createFunction,
  createVisitor,
  FUNCTION_RUN_FIELDS,
  type FunctionRef,
  type FunctionRunRef,
  functionCode,
  otherOrganisation,
  userWithRoles,
} from "../support/factories.js";
import { clockInMinute, startApp, type TestApp } from "../support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp({ FUNCTION_ENDPOINT_TIMEOUT_MS: "1000" });
});
after(() => t.close());

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

let keyCounter = 0;
/** An enabled ENDPOINT function with its own API key (created with `keyInput`). */
async function endpoint(body: string, keyInput: Record<string, unknown> = {}) {
  const key = await createApiKey(t, keyInput);
  const fn = await createFunction(t, {
    type: "ENDPOINT",
    key: `endpoint-${++keyCounter}-${key.id}`,
    code: functionCode(body),
    apiKeyId: key.id,
  });
  const call = (path = "", init: RequestInit = {}) =>
    t.fetch(`/functions/${fn.key}${path}`, {
      ...init,
      headers: { ...bearer(key.secret), ...(init.headers as Record<string, string>) },
    });
  return { fn: fn as FunctionRef & { key: string }, key, call };
}

async function runsOf(functionId: string): Promise<FunctionRunRef[]> {
  const data = await t.ok<{ functionRuns: { nodes: FunctionRunRef[] } }>(
    `query($id: ID!) { functionRuns(functionId: $id) { nodes { ${FUNCTION_RUN_FIELDS} } } }`,
    { id: functionId },
  );
  return data.functionRuns.nodes;
}

const COUNT_VISITORS = `
  const eventId = ctx.request.query.eventId;
  let count = 0;
  let after = null;
  for (;;) {
    const result = await visit.graphql(
      "query($eventId: ID!, $after: String) { visitors(eventId: $eventId, first: 2, after: $after, filter: { showDeleted: false }) { edges { node { id } } pageInfo { hasNextPage endCursor } } }",
      { eventId, after },
    );
    if (result.errors && result.errors.length > 0) return { eventId, errors: result.errors };
    count += result.data.visitors.edges.length;
    if (!result.data.visitors.pageInfo.hasNextPage) return { eventId, count };
    after = result.data.visitors.pageInfo.endCursor;
  }`;

describe("endpoint functions: visit.graphql as the function's API key", () => {
  let eventA: string;
  let eventB: string;
  let counter: Awaited<ReturnType<typeof endpoint>>;

  before(async () => {
    eventA = (await createEvent(t)).id;
    eventB = (await createEvent(t)).id;
    const visitors = [];
    for (let i = 0; i < 5; i++) visitors.push(await createVisitor(t, eventA));
    for (let i = 0; i < 2; i++) await createVisitor(t, eventB);
    await t.ok("mutation($eventId: ID!, $id: ID!) { deleteVisitor(eventId: $eventId, id: $id) { id } }", {
      eventId: eventA,
      id: visitors[0].id,
    });
    counter = await endpoint(COUNT_VISITORS, { eventIds: [eventA] });
  });

  it("counts an event's visitors, called with the key as Bearer and as Basic (with and without ':')", async () => {
    const path = `/functions/${counter.fn.key}?eventId=${eventA}`;
    for (const headers of [
      bearer(counter.key.secret),
      basicAuth(counter.key.secret).headers,
      basicAuth(counter.key.secret, false).headers,
    ]) {
      const response = await t.fetch(path, { headers });
      assert.equal(response.status, 200, await response.clone().text());
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await response.json(), { eventId: eventA, count: 4 });
      const runId = response.headers.get("x-function-run-id");
      assert.ok(runId, "the run id is in X-Function-Run-Id");
      const [latest] = await runsOf(counter.fn.id);
      assert.deepEqual([latest?.id, latest?.trigger, latest?.status], [runId, "ENDPOINT", "SUCCEEDED"]);
    }
  });

  it("cannot see an event outside its key's scope: EVENT_NOT_ALLOWED inside the function's graphql result", async () => {
    const response = await counter.call(`?eventId=${eventB}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      errors: { extensions: { code: string; reason: string } }[];
      count?: number;
    };
    assert.equal(body.count, undefined);
    assert.deepEqual(
      body.errors.map((error) => [error.extensions.code, error.extensions.reason]),
      [["FORBIDDEN", "EVENT_NOT_ALLOWED"]],
    );
  });

  it("runs as the key's organisation: another organisation's event does not exist for it", async () => {
    const otherAdmin = await otherOrganisation(t);
    const theirEvent = await createEvent(t, otherAdmin);
    await createVisitor(t, theirEvent.id, {}, otherAdmin);
    const unscoped = await endpoint(COUNT_VISITORS);
    const body = (await (await unscoped.call(`?eventId=${theirEvent.id}`)).json()) as {
      errors: { extensions: { code: string } }[];
    };
    assert.deepEqual(
      body.errors.map((error) => error.extensions.code),
      ["NOT_FOUND"],
    );
    // ...while the unscoped key sees both of its own organisation's events.
    assert.deepEqual(await (await unscoped.call(`?eventId=${eventB}`)).json(), { eventId: eventB, count: 2 });
  });
});

describe("endpoint functions: the key's rate limits", () => {
  const CALLS = `
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      try { outcomes.push((await visit.graphql("{ events { id } }")).errors.length === 0 ? "ok" : "error"); }
      catch (error) { outcomes.push(error.message); }
    }
    return outcomes;`;

  it("lets a key limited to one call at a time use visit.graphql from its own endpoint", async () => {
    const { call } = await endpoint(CALLS, { concurrencyLimit: 1 });
    const response = await call();
    assert.deepEqual([response.status, await response.json()], [200, ["ok", "ok", "ok"]]);
  });

  it("counts visit.graphql calls against the key's calls per minute", async (ctx) => {
    clockInMinute(ctx);
    const { call } = await endpoint(CALLS, { rateLimitPerMinute: 3 });
    // The call to the endpoint is the first of the minute's three; two GraphQL calls are left.
    const response = await call();
    const outcomes = (await response.json()) as string[];
    assert.deepEqual(outcomes.slice(0, 2), ["ok", "ok"]);
    assert.match(outcomes[2] ?? "", /^Rate limit exceeded: 3 calls per minute/);
    const refused = await call();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  });
});

describe("endpoint functions: who may call", () => {
  it("refuses another key of the organisation, a user session and no credentials; runs nothing", async () => {
    const { fn, call } = await endpoint("return 'ran';");
    const otherKey = await createApiKey(t, { canWrite: true });
    const admin = t.admin.token;
    const cases: [Record<string, string>, number, string, string][] = [
      [bearer(otherKey.secret), 403, "FORBIDDEN", "NOT_FUNCTION_KEY"],
      [bearer(admin), 403, "FORBIDDEN", "NOT_FUNCTION_KEY"],
      [bearer(await userWithRoles(t, ["ADMIN"])), 403, "FORBIDDEN", "NOT_FUNCTION_KEY"],
      [bearer(t.operatorToken), 403, "FORBIDDEN", ""],
      [{}, 401, "UNAUTHENTICATED", "MISSING_CREDENTIALS"],
      [bearer("vk_not-a-real-key"), 401, "UNAUTHENTICATED", ""],
    ];
    for (const [headers, status, code, reason] of cases) {
      const response = await t.fetch(`/functions/${fn.key}`, { headers });
      assert.equal(response.status, status, JSON.stringify(headers));
      assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
      const body = (await response.json()) as { errorCode: string; reason?: string };
      assert.equal(body.errorCode, code);
      if (reason) assert.equal(body.reason, reason);
      assert.equal(response.headers.get("x-function-run-id"), null);
    }
    assert.equal((await runsOf(fn.id)).length, 0);
    assert.equal((await call()).status, 200);
  });

  it("answers 404 for an unknown key, and for a key of another organisation's function", async () => {
    const { key } = await endpoint("return 1;");
    const unknown = await t.fetch("/functions/no-such-function", { headers: bearer(key.secret) });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { errorCode: string }).errorCode, "NOT_FOUND");

    const otherAdmin = await otherOrganisation(t);
    await createFunction(
      t,
      { type: "ENDPOINT", key: "theirs-only", code: functionCode("return 1;") },
      otherAdmin,
    );
    const theirs = await t.fetch("/functions/theirs-only", { headers: bearer(key.secret) });
    assert.equal(theirs.status, 404);
  });

  it("answers 503 for a disabled function, without running it, and runs it again once enabled", async () => {
    const { fn, call } = await endpoint("return 'on';");
    const UPDATE =
      "mutation($id: ID!, $enabled: Boolean!) { updateFunction(id: $id, input: { enabled: $enabled }) { id } }";
    await t.ok(UPDATE, { id: fn.id, enabled: false });
    const disabled = await call();
    assert.equal(disabled.status, 503);
    assert.equal(((await disabled.json()) as { errorCode: string }).errorCode, "SERVICE_UNAVAILABLE");
    assert.equal((await runsOf(fn.id)).length, 0);
    await t.ok(UPDATE, { id: fn.id, enabled: true });
    const enabled = await call();
    assert.deepEqual([enabled.status, await enabled.json()], [200, "on"]);
  });
});

describe("endpoint functions: request and response", () => {
  it("makes {status, headers, body} the response: status, custom header, text body", async () => {
    const { call } = await endpoint(`return {
      status: 201,
      headers: { "X-Custom": "custom value", "Content-Type": "text/plain; charset=utf-8", "Content-Length": "1" },
      body: "created: " + ctx.request.method,
    };`);
    const response = await call("", { method: "PUT" });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("x-custom"), "custom value");
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await response.text(), "created: PUT", "the framing headers stay the server's");
  });

  it("sends a JSON body of a {status, body} response as JSON, and a missing body as empty", async () => {
    const json = await (await endpoint("return { status: 202, body: { accepted: [1, 2] } };")).call();
    assert.equal(json.status, 202);
    assert.match(json.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await json.json(), { accepted: [1, 2] });

    const empty = await (await endpoint("return { status: 404 };")).call();
    assert.deepEqual([empty.status, await empty.text()], [404, ""]);
  });

  it("sends a plain value as 200 JSON", async () => {
    for (const [value, expected] of [
      ["[1, 'two', { three: 3 }]", [1, "two", { three: 3 }]],
      ["'just text'", "just text"],
      ["{ count: 3, status: 'fine' }", { count: 3, status: "fine" }],
      ["0", 0],
    ] as const) {
      const response = await (await endpoint(`return ${value};`)).call();
      assert.equal(response.status, 200, value);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await response.json(), expected);
    }
  });

  it("gives ctx.request method, path, query, headers and body, with json(); never the Authorization header", async () => {
    const { fn, key, call } = await endpoint(`
      const { method, path, query, headers, body } = ctx.request;
      return { method, path, query, headers, body, json: body === "" ? null : ctx.request.json() };`);
    const sent = { hello: "world", list: [1, 2, 3], nested: { ok: true } };
    const response = await call("/sub/path?a=1&a=2&b=x%20y", {
      method: "POST",
      headers: { "content-type": "application/json", "x-trace": "trace-123" },
      body: JSON.stringify(sent),
    });
    assert.equal(response.status, 200);
    const echoed = (await response.json()) as {
      method: string;
      path: string;
      query: Record<string, unknown>;
      headers: Record<string, string>;
      body: string;
      json: unknown;
    };
    assert.equal(echoed.method, "POST");
    assert.equal(echoed.path, `/functions/${fn.key}/sub/path`);
    assert.deepEqual(echoed.query, { a: ["1", "2"], b: "x y" });
    assert.equal(echoed.headers["x-trace"], "trace-123");
    assert.equal(echoed.headers["content-type"], "application/json");
    assert.equal(echoed.body, JSON.stringify(sent));
    assert.deepEqual(echoed.json, sent);
    assert.equal(echoed.headers.authorization, undefined);
    assert.ok(!JSON.stringify(echoed).includes(key.secret), "the key appears nowhere");

    // Basic credentials are hidden the same way.
    const basic = await t.fetch(`/functions/${fn.key}`, basicAuth(key.secret));
    const seen = (await basic.json()) as { method: string; body: string; headers: Record<string, string> };
    assert.deepEqual([seen.method, seen.body, seen.headers.authorization], ["GET", "", undefined]);
    assert.ok(!JSON.stringify(seen).includes(key.secret));
  });

  it("refuses a body over BODY_LIMIT_BYTES with 413 before running anything", async () => {
    const { fn, call } = await endpoint("return ctx.request.body.length;");
    const response = await call("", { method: "POST", body: "x".repeat(t.env.BODY_LIMIT_BYTES + 1) });
    assert.equal(response.status, 413);
    assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.equal(((await response.json()) as { errorCode: string }).errorCode, "PAYLOAD_TOO_LARGE");
    assert.equal((await runsOf(fn.id)).length, 0);
    const fits = await call("", { method: "POST", body: "x".repeat(1000) });
    assert.deepEqual(await fits.json(), 1000);
  });

  it("refuses a body that is not valid UTF-8 with 400 before running anything; valid text passes intact", async () => {
    const { fn, call } = await endpoint("return ctx.request.body;");
    const invalid = Buffer.concat([Buffer.from("caf"), Buffer.from([0xc3]), Buffer.from(" au lait")]);
    const response = await call("", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: invalid,
    });
    assert.equal(response.status, 400);
    assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
    const problem = (await response.json()) as { errorCode: string; detail: string };
    assert.equal(problem.errorCode, "BAD_REQUEST");
    assert.match(problem.detail, /not valid UTF-8/);
    assert.equal((await runsOf(fn.id)).length, 0);
    const valid = await call("", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "café au lait ☕",
    });
    assert.equal(await valid.json(), "café au lait ☕");
  });

  it("passes a non-JSON body as text; json() then fails inside the function", async () => {
    const { call } = await endpoint(`
      let parsed;
      try { parsed = ctx.request.json(); } catch (error) { parsed = error.name; }
      return { body: ctx.request.body, parsed };`);
    const response = await call("", {
      method: "PATCH",
      headers: { "content-type": "text/plain" },
      body: "not { json",
    });
    assert.deepEqual(await response.json(), { body: "not { json", parsed: "SyntaxError" });
  });
});

type Problem = { status: number; title: string; errorCode: string; detail: string; runId?: string };

describe("endpoint functions: failed runs", () => {
  async function assertProblem(response: Response, status: number, errorCode: string, fn: FunctionRef) {
    assert.equal(response.status, status);
    assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
    const text = await response.text();
    const body = JSON.parse(text) as Problem;
    const runId = response.headers.get("x-function-run-id");
    assert.ok(runId, "X-Function-Run-Id");
    assert.deepEqual([body.status, body.errorCode, body.runId], [status, errorCode, runId]);
    for (const internal of ["hunter2", "function.js", "stack", "sandbox", "worker"]) {
      assert.ok(!text.toLowerCase().includes(internal), `"${internal}" in ${text}`);
    }
    const runs = await runsOf(fn.id);
    const run = runs.find((entry) => entry.id === runId);
    assert.ok(run, "the run id names the recorded run");
    return run;
  }

  it("answers 502 with the run id when the function throws; the error is only in the run record", async () => {
    const { fn, call } = await endpoint("throw new Error('the password is hunter2');");
    const run = await assertProblem(await call(), 502, "BAD_GATEWAY", fn);
    assert.equal(run.status, "FAILED");
    assert.match(run.error ?? "", /hunter2/);
  });

  it("answers 504 with the run id when the function runs out of time", async () => {
    const { fn, call } = await endpoint("console.log('hunter2'); while (true) {}");
    const started = Date.now();
    const run = await assertProblem(await call(), 504, "GATEWAY_TIMEOUT", fn);
    assert.ok(Date.now() - started < 1_000 + 1_000, `took ${Date.now() - started} ms`);
    assert.equal(run.status, "TIMED_OUT");
    assert.equal(run.logs, "[log] hunter2\n");
  });

  it("answers 502 with the run id when the function returns an impossible status", async () => {
    const { fn, call } = await endpoint("return { status: 99, body: 'hunter2' };");
    const run = await assertProblem(await call(), 502, "BAD_GATEWAY", fn);
    assert.equal(run.status, "SUCCEEDED");
  });

  it("answers 502 with the run id, not 500, for a header Node cannot send; sets none of its headers", async () => {
    for (const headers of [
      '{ "Set-Cookie": "a=b", "bad header": "x" }',
      '{ "Set-Cookie": "a=b", "X-Split": "line\\r\\nX-Injected: yes" }',
    ]) {
      const { fn, call } = await endpoint(`return { status: 200, headers: ${headers}, body: "hunter2" };`);
      const response = await call();
      assert.equal(response.headers.get("set-cookie"), null, headers);
      assert.equal(response.headers.get("x-injected"), null, headers);
      await assertProblem(response, 502, "BAD_GATEWAY", fn);
    }
  });

  it("keeps X-Function-Run-Id the server's: a function cannot set it", async () => {
    const { fn, call } = await endpoint(
      "return { status: 200, headers: { 'X-Function-Run-Id': 'forged' } };",
    );
    const response = await call();
    assert.equal(response.status, 200);
    const [run] = await runsOf(fn.id);
    assert.equal(response.headers.get("x-function-run-id"), run?.id);
  });
});
