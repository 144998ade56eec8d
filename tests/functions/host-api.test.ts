import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { and, eq } from "drizzle-orm";
import { functionRuns } from "@/schema/tables/index.js";
import { RUN_RETENTION } from "@/src/services/functions/function-run.service.js";
import {
  type ApiKeyRef,
  createApiKey,
  createEvent,
  createFunction,
  createVisitor,
  FUNCTION_FIELDS,
  FUNCTION_RUN_FIELDS,
  type FunctionRef,
  type FunctionRunRef,
  functionCode,
  runFunction,
} from "../support/factories.js";
import { startApp, type TestApp, waitFor } from "../support/harness.js";

const MAX_LOG_BYTES = 1024; // the smallest FUNCTION_MAX_LOG_BYTES the configuration accepts
const MAX_FETCHES = 5;

/** A local HTTP server that records what reaches it. */
async function localServer(handler: (path: string, res: import("node:http").ServerResponse) => void) {
  const hits: { method: string; path: string; headers: Record<string, unknown>; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      hits.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      handler(req.url ?? "", res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { hits, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let t: TestApp;
let key: ApiKeyRef;
let allowed: Awaited<ReturnType<typeof localServer>>;
let forbidden: Awaited<ReturnType<typeof localServer>>;
/** Requests to /hold wait here until the test releases them. */
const held: (() => void)[] = [];

before(async () => {
  // Not on the allow-list: nothing may ever reach it.
  forbidden = await localServer((_path, res) => res.end("secret"));
  allowed = await localServer((path, res) => {
    if (path === "/redirect") {
      res.writeHead(302, { location: `http://127.0.0.1:${forbidden.port}/secret` });
      res.end();
    } else if (path === "/hold") {
      held.push(() => res.end("released"));
    } else {
      res.writeHead(200, { "content-type": "text/plain", "x-from": "allowed" });
      res.end(`hello from ${path}`);
    }
  });
  t = await startApp({
    FUNCTION_FETCH_ALLOW: `127.0.0.1:${allowed.port}`,
    FUNCTION_MAX_LOG_BYTES: String(MAX_LOG_BYTES),
    FUNCTION_MAX_FETCHES: String(MAX_FETCHES),
  });
  key = await createApiKey(t);
});
after(async () => {
  await t.close();
  await allowed.close();
  await forbidden.close();
});

/** A BACKGROUND_TASK with `body` as its code, run as `key` unless told otherwise. */
const task = (body: string, input: Record<string, unknown> = {}) =>
  createFunction(t, { code: functionCode(body), apiKeyId: key.id, ...input });

async function succeeded(fn: FunctionRef, input?: unknown): Promise<FunctionRunRef> {
  const run = await runFunction(t, fn.id, input);
  assert.equal(run.status, "SUCCEEDED", run.error ?? "");
  return run;
}

describe("fetch from a function", () => {
  const FETCH_ALL = `
    const results = {};
    for (const url of ctx.input) {
      try {
        const response = await fetch(url);
        results[url] = { status: response.status, redirected: response.redirected, from: response.headers.get("x-from"), body: await response.text() };
      } catch (error) {
        console.log(error.message);
        results[url] = { error: error.message };
      }
    }
    return results;`;

  it("refuses loopback, private and metadata addresses and a redirect to loopback, before any connection", async () => {
    const fn = await task(FETCH_ALL);
    const urls = {
      loopback: `http://127.0.0.1:${forbidden.port}/direct`,
      localhost: `http://localhost:${forbidden.port}/by-name`,
      private: "http://10.0.0.1/internal",
      metadata: "http://169.254.169.254/latest/meta-data/",
      redirect: `http://127.0.0.1:${allowed.port}/redirect`,
    };
    const started = Date.now();
    const run = await succeeded(fn, Object.values(urls));
    // Refusals are decided on the address: no connection attempt, so no waiting on one either.
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    const results = run.result as Record<string, { error?: string; status?: number }>;
    assert.match(results[urls.loopback]?.error ?? "", /refused: 127\.0\.0\.1 is a loopback address/);
    assert.match(results[urls.localhost]?.error ?? "", /refused: .* is a loopback address/);
    assert.match(results[urls.private]?.error ?? "", /refused: 10\.0\.0\.1 is a private address/);
    assert.match(
      results[urls.metadata]?.error ?? "",
      /refused: 169\.254\.169\.254 is the cloud metadata address/,
    );
    assert.match(
      results[urls.redirect]?.error ?? "",
      new RegExp(
        `fetch to http://127\\.0\\.0\\.1:${forbidden.port} refused: 127\\.0\\.0\\.1 is a loopback address`,
      ),
    );
    // The run records each refusal.
    assert.equal(run.logs.split("\n").filter((line) => /refused/.test(line)).length, 5, run.logs);
    assert.deepEqual(forbidden.hits, [], "nothing reached the server that is not allowed");
    assert.deepEqual(
      allowed.hits.map((hit) => hit.path),
      ["/redirect"],
    );
  });

  it("reaches a host on FUNCTION_FETCH_ALLOW, with the method, headers and body the function gives", async () => {
    allowed.hits.length = 0;
    const fn = await task(`
      const response = await fetch("http://127.0.0.1:${allowed.port}/data?x=1", {
        method: "post",
        headers: { "content-type": "application/json", "x-token": "abc" },
        body: JSON.stringify({ sent: true }),
      });
      return { status: response.status, ok: response.ok, from: response.headers.get("x-from"), body: await response.text() };`);
    const run = await succeeded(fn);
    assert.deepEqual(run.result, { status: 200, ok: true, from: "allowed", body: "hello from /data?x=1" });
    assert.equal(allowed.hits.length, 1);
    const [hit] = allowed.hits;
    assert.deepEqual([hit?.method, hit?.body, hit?.headers["x-token"]], ["POST", '{"sent":true}', "abc"]);
  });

  it(`refuses more than FUNCTION_MAX_FETCHES (${MAX_FETCHES}) requests in one run`, async () => {
    const fn = await task(`
      const outcomes = [];
      for (let i = 0; i < ${MAX_FETCHES + 1}; i++) {
        try { outcomes.push((await fetch("http://127.0.0.1:${allowed.port}/n" + i)).status); }
        catch (error) { outcomes.push(error.message); }
      }
      return outcomes;`);
    const run = await succeeded(fn);
    const outcomes = run.result as unknown[];
    assert.deepEqual(outcomes.slice(0, MAX_FETCHES), Array(MAX_FETCHES).fill(200));
    assert.match(String(outcomes[MAX_FETCHES]), new RegExp(`limit of ${MAX_FETCHES} outbound requests`));
  });
});

describe("state between runs", () => {
  it("keeps state.set values for the next run; unknown names are null", async () => {
    const fn = await task(`
      const previous = await state.get("cursor");
      await state.set("cursor", { revision: (previous?.revision ?? 0) + 10, seen: [ctx.input] });
      return { previous, missing: await state.get("never-set") };`);
    const first = await succeeded(fn, "one");
    assert.deepEqual(first.result, { previous: null, missing: null });
    const second = await succeeded(fn, "two");
    assert.deepEqual(second.result, { previous: { revision: 10, seen: ["one"] }, missing: null });
    const third = await succeeded(fn, "three");
    assert.deepEqual(third.result, { previous: { revision: 20, seen: ["two"] }, missing: null });

    // Per function: another function (even with the same code and key) has its own state.
    const other = await task(`return await state.get("cursor");`);
    assert.equal((await succeeded(other)).result, null);
  });

  it("shares state between endpoint runs and manual runs of one function", async () => {
    const fn = await createFunction(t, {
      type: "ENDPOINT",
      key: "stateful",
      apiKeyId: key.id,
      code: functionCode(`
        if (ctx.request?.method === "POST") { await state.set("shared", ctx.request.json()); return "stored"; }
        if (ctx.input !== undefined) { await state.set("shared", ctx.input); return "stored"; }
        return await state.get("shared");`),
    });
    const call = (init: RequestInit = {}) =>
      t.fetch("/functions/stateful", { ...init, headers: { authorization: `Bearer ${key.secret}` } });

    assert.equal((await call({ method: "POST", body: JSON.stringify({ from: "endpoint" }) })).status, 200);
    assert.deepEqual((await succeeded(fn)).result, { from: "endpoint" });
    await succeeded(fn, { from: "manual" });
    assert.deepEqual(await (await call()).json(), { from: "manual" });
  });

  it("refuses state over 64 KiB with a clear error and keeps what was there", async () => {
    const fn = await task(`
      const attempt = async (name, size) => {
        try { await state.set(name, "x".repeat(size)); return "stored"; }
        catch (error) { return error.message; }
      };
      const one = await attempt("huge", 70000);
      const a = await attempt("a", 40000);
      const b = await attempt("b", 30000);
      return { one, a, b, kept: (await state.get("a"))?.length, lost: await state.get("b") };`);
    const run = await succeeded(fn);
    const result = run.result as Record<string, unknown>;
    assert.match(String(result.one), /^state\.set\("huge"\) refused: .* over the limit of 65536 bytes$/);
    assert.equal(result.a, "stored");
    // The second entry alone fits, but the function's whole state would not.
    assert.match(
      String(result.b),
      /^state\.set\("b"\) refused: the function's state would be \d+ bytes, over the limit of 65536 bytes$/,
    );
    assert.deepEqual([result.kept, result.lost], [40000, null]);

    // Uncaught, the refusal fails the run with the same message.
    const uncaught = await task(`await state.set("big", "x".repeat(70000)); return "unreachable";`);
    const failed = await runFunction(t, uncaught.id);
    assert.equal(failed.status, "FAILED");
    assert.match(failed.error ?? "", /state\.set\("big"\) refused: .* over the limit of 65536 bytes/);
  });
});

describe("logs and ctx.lastSuccessAt", () => {
  it("captures console output by level into the run's logs", async () => {
    const fn = await task(`
      console.log("plain", 1, { a: [1, 2] });
      console.info("info");
      console.warn("warn");
      console.error(new TypeError("bad type"));
      console.debug(null, undefined);
      return "done";`);
    const run = await succeeded(fn);
    const lines = run.logs.split("\n");
    assert.deepEqual(lines.slice(0, 4), [
      '[log] plain 1 {"a":[1,2]}',
      "[info] info",
      "[warn] warn",
      "[error] TypeError: bad type",
    ]);
    assert.ok(lines.includes("[debug] null undefined"), run.logs);

    const listed = await t.ok<{ functionRuns: { nodes: FunctionRunRef[] } }>(
      `query($id: ID!) { functionRuns(functionId: $id) { nodes { ${FUNCTION_RUN_FIELDS} } } }`,
      { id: fn.id },
    );
    assert.equal(listed.functionRuns.nodes[0]?.logs, run.logs);
  });

  it(`cuts the logs at FUNCTION_MAX_LOG_BYTES (${MAX_LOG_BYTES}) and marks the cut; the run goes on`, async () => {
    const fn = await task(`
      for (let i = 0; i < 200; i++) console.log("line " + i + " " + "é".repeat(20));
      return "finished";`);
    const run = await succeeded(fn);
    assert.equal(run.result, "finished");
    assert.ok(run.logs.startsWith("[log] line 0 "), run.logs.slice(0, 40));
    assert.ok(run.logs.endsWith("\n[logs truncated]\n"), run.logs.slice(-40));
    const kept = run.logs.slice(0, -"\n[logs truncated]\n".length);
    assert.ok(Buffer.byteLength(kept) <= MAX_LOG_BYTES, `${Buffer.byteLength(kept)} bytes kept`);
    assert.ok(Buffer.byteLength(kept) > MAX_LOG_BYTES - 50, `${Buffer.byteLength(kept)} bytes kept`);
    assert.ok(!kept.includes("\uFFFD"), "no character is split");
  });

  it("gives null on the first run, then the start of the previous successful run", async () => {
    const fn = await task(
      `if (ctx.input === "fail") throw new Error("failing on purpose"); return ctx.lastSuccessAt;`,
    );
    const first = await succeeded(fn);
    assert.equal(first.result, null);
    const second = await succeeded(fn);
    assert.equal(second.result, first.startedAt);
    const failed = await runFunction(t, fn.id, "fail");
    assert.equal(failed.status, "FAILED");
    const fourth = await succeeded(fn);
    assert.equal(fourth.result, second.startedAt, "a failed run is not a success");

    const saved = await t.ok<{ function: FunctionRef }>(
      `query($id: ID!) { function(id: $id) { ${FUNCTION_FIELDS} } }`,
      {
        id: fn.id,
      },
    );
    assert.equal(saved.function.lastSuccessAt, fourth.startedAt);
  });
});

describe("statistics of visit.graphql", () => {
  it("counts a function's GraphQL calls as type FUNCTION for its API key", async () => {
    const event = await createEvent(t);
    await createVisitor(t, event.id);
    const statsKey = await createApiKey(t, { eventIds: [event.id] });
    const fn = await createFunction(t, {
      type: "ENDPOINT",
      key: "counted",
      apiKeyId: statsKey.id,
      code: functionCode(`
        const ok1 = await visit.graphql("{ events { id } }");
        const ok2 = await visit.graphql("query($id: ID!) { visitors(eventId: $id) { edges { node { id } } } }", { id: ${JSON.stringify(event.id)} });
        const refused = await visit.graphql("query($id: ID!) { event(id: $id) { id } }", { id: "aaaaaaaaaaaaa" });
        return [ok1.errors.length, ok2.errors.length, refused.errors[0]?.extensions?.code];`),
    });
    const run = await succeeded(fn);
    assert.deepEqual(run.result, [0, 0, "NOT_FOUND"]);

    const STATS = `query($from: DateTimeISO!, $until: DateTimeISO!, $keys: [ID!], $types: [ApiCallType!]) {
      apiStatistics(from: $from, until: $until, resolution: MINUTE, types: $types, apiKeyIds: $keys) { start type apiKeyId calls errors }
    }`;
    type Bucket = { type: string; apiKeyId: string; calls: number; errors: number };
    const totals = async () => {
      await t.app.usage.flush();
      const now = Date.now();
      const data = await t.ok<{ apiStatistics: Bucket[] }>(STATS, {
        from: new Date(now - 3_600_000).toISOString(),
        until: new Date(now + 3_600_000).toISOString(),
        keys: [statsKey.id],
      });
      const sum: Record<string, { calls: number; errors: number }> = {};
      for (const bucket of data.apiStatistics) {
        assert.equal(bucket.apiKeyId, statsKey.id);
        sum[bucket.type] ??= { calls: 0, errors: 0 };
        sum[bucket.type].calls += bucket.calls;
        sum[bucket.type].errors += bucket.errors;
      }
      return sum;
    };
    assert.deepEqual(await totals(), { FUNCTION: { calls: 3, errors: 1 } });

    // Called at its endpoint: the call itself and its three GraphQL calls, all as FUNCTION.
    const response = await t.fetch("/functions/counted", {
      headers: { authorization: `Bearer ${statsKey.secret}` },
    });
    assert.equal(response.status, 200);
    await waitFor("the endpoint call to be counted", async () => {
      const sum = await totals();
      return sum.FUNCTION?.calls === 7 ? sum : undefined;
    });
    assert.deepEqual(await totals(), { FUNCTION: { calls: 7, errors: 2 } });
  });
});

describe("function lifecycle during runs", () => {
  it("finishes a run whose function is deleted meanwhile: the caller gets its answer, not a 500", async () => {
    const code = functionCode(`return await (await fetch("http://127.0.0.1:${allowed.port}/hold")).text();`);
    const DELETE = "mutation($id: ID!) { deleteFunction(id: $id) { id } }";

    const endpoint = await createFunction(t, {
      type: "ENDPOINT",
      key: "deleted-meanwhile",
      code,
      apiKeyId: key.id,
    });
    const pending = t.fetch("/functions/deleted-meanwhile", {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    await waitFor("the endpoint run to be waiting", () => held.length === 1);
    await t.ok(DELETE, { id: endpoint.id });
    held.shift()?.();
    const response = await pending;
    assert.deepEqual([response.status, await response.json()], [200, "released"]);
    assert.ok(response.headers.get("x-function-run-id"));

    const manual = await task(`return await (await fetch("http://127.0.0.1:${allowed.port}/hold")).text();`);
    const run = runFunction(t, manual.id);
    await waitFor("the manual run to be waiting", () => held.length === 1);
    await t.ok(DELETE, { id: manual.id });
    held.shift()?.();
    const finished = await run;
    assert.deepEqual(
      [finished.status, finished.result, finished.functionId],
      ["SUCCEEDED", "released", manual.id],
    );
  });

  it("gives visit.graphql the refusal when the function's API key is disabled or deleted", async () => {
    const own = await createApiKey(t);
    const fn = await task(
      `try { return await visit.graphql("{ events { id } }"); } catch (error) { return "refused: " + error.message; }`,
      { apiKeyId: own.id },
    );
    assert.deepEqual(((await succeeded(fn)).result as { errors: unknown[] }).errors, []);
    await t.ok("mutation($id: ID!) { updateApiKey(id: $id, input: { state: DISABLED }) { id } }", {
      id: own.id,
    });
    assert.equal((await succeeded(fn)).result, "refused: This API key is disabled");
    await t.ok("mutation($id: ID!) { deleteApiKey(id: $id) { id } }", { id: own.id });
    assert.equal((await succeeded(fn)).result, "refused: The function's API key no longer exists");
  });
});

describe("run retention", () => {
  const row = (functionId: string, organisationId: string, id: string, startedAt: Date) => ({
    id,
    organisationId,
    functionId,
    trigger: "SCHEDULE" as const,
    status: "SUCCEEDED" as const,
    startedAt,
    finishedAt: startedAt,
    durationMs: 1,
    logs: "",
  });
  const ago = (ms: number) => new Date(Date.now() - ms);
  const DAY = 86_400_000;

  async function insertRuns(rows: ReturnType<typeof row>[]) {
    for (let i = 0; i < rows.length; i += 250) {
      await t.app.database.db.insert(functionRuns).values(rows.slice(i, i + 250));
    }
  }
  const runIds = async (functionId: string) =>
    (
      await t.app.database.db
        .select({ id: functionRuns.id })
        .from(functionRuns)
        .where(eq(functionRuns.functionId, functionId))
    ).map((entry) => entry.id);

  it(`keeps the newest ${RUN_RETENTION.runs} runs of a function`, async () => {
    const fn = await task("return 1;");
    const { organisationId } = must(await t.app.services.functions.byId(fn.id), "the stored function");
    const extra = 5;
    // run-0 is the newest; run-1004 the oldest. All within the day.
    const recent = Array.from({ length: RUN_RETENTION.runs + extra }, (_, i) =>
      row(fn.id, organisationId, `run-${fn.id}-${i}`, ago((i + 1) * 60_000)),
    );
    await insertRuns(recent);
    // Another function's runs are its own business.
    const other = await task("return 2;");
    await insertRuns(
      Array.from({ length: 3 }, (_, i) =>
        row(other.id, organisationId, `other-${other.id}-${i}`, ago(i * 1000)),
      ),
    );

    const real = await succeeded(fn);
    const kept = new Set(await runIds(fn.id));
    assert.equal(kept.size, RUN_RETENTION.runs);
    assert.ok(kept.has(real.id), "the new run is kept");
    for (let i = 0; i < RUN_RETENTION.runs - 1; i++)
      assert.ok(kept.has(`run-${fn.id}-${i}`), `run ${i} is kept`);
    for (let i = RUN_RETENTION.runs - 1; i < recent.length; i++) {
      assert.ok(!kept.has(`run-${fn.id}-${i}`), `run ${i} is gone`);
    }
    assert.equal((await runIds(other.id)).length, 3);

    const page = await t.ok<{ functionRuns: { nodes: { id: string }[]; hasNextPage: boolean } }>(
      "query($id: ID!) { functionRuns(functionId: $id, first: 2) { nodes { id } hasNextPage } }",
      { id: fn.id },
    );
    assert.deepEqual(
      page.functionRuns.nodes.map((node) => node.id),
      [real.id, `run-${fn.id}-0`],
    );
  });

  it(`drops runs older than ${RUN_RETENTION.days} days, however few there are`, async () => {
    const fn = await task("return 1;");
    const { organisationId } = must(await t.app.services.functions.byId(fn.id), "the stored function");
    await insertRuns([
      row(fn.id, organisationId, `old-${fn.id}-1`, ago((RUN_RETENTION.days + 1) * DAY)),
      row(fn.id, organisationId, `old-${fn.id}-2`, ago(90 * DAY)),
      row(fn.id, organisationId, `young-${fn.id}-1`, ago((RUN_RETENTION.days - 1) * DAY)),
      row(fn.id, organisationId, `young-${fn.id}-2`, ago(DAY)),
    ]);
    const real = await succeeded(fn);
    assert.deepEqual((await runIds(fn.id)).sort(), [real.id, `young-${fn.id}-1`, `young-${fn.id}-2`].sort());

    // Pruning is per function: a run of another function leaves this one's runs alone.
    await insertRuns([row(fn.id, organisationId, `old-${fn.id}-3`, ago(40 * DAY))]);
    const broken = await task("throw new Error('x');");
    assert.equal((await runFunction(t, broken.id)).status, "FAILED");
    const [stillOld] = await t.app.database.db
      .select({ id: functionRuns.id })
      .from(functionRuns)
      .where(and(eq(functionRuns.functionId, fn.id), eq(functionRuns.id, `old-${fn.id}-3`)));
    assert.ok(stillOld);
  });
});
