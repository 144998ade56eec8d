import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_FETCH_POLICY } from "@/jobs/sandbox/safe-fetch.js";
import { SandboxRunner } from "@/jobs/sandbox/sandbox-runner.js";
import type { RunLimits, RunResult } from "@/jobs/sandbox/sandbox-types.js";
import { fn, memoryHooks, runIn } from "./support.js";

// One worker: every run after a killed or failed one has to go to its replacement.
let runner: SandboxRunner;
before(() => {
  runner = new SandboxRunner({ workers: 1, fetchPolicy: DEFAULT_FETCH_POLICY, graceMs: 1_000 });
});
after(() => runner.close());

const run = (code: string, options?: Parameters<typeof runIn>[2]) => runIn(runner, code, options);

async function assertNextRunWorks(): Promise<void> {
  const next = await run(fn("return 'still working'"));
  assert.equal(next.status, "SUCCEEDED", next.error);
  assert.equal(next.value, "still working");
}

/** Runs while measuring the longest gap between ticks of a 10 ms interval on this event loop. */
async function runWatchingEventLoop(code: string, limits: Partial<RunLimits>) {
  let last = performance.now();
  let worstGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - last);
    last = now;
  }, 10);
  const started = performance.now();
  const result: RunResult = await run(code, { limits }).finally(() => clearInterval(ticker));
  return { result, elapsedMs: performance.now() - started, worstGapMs };
}

describe("sandbox runner: results", () => {
  it("returns the default export's resolved value as JSON, with timing", async () => {
    const result = await run(fn("return { answer: 42, items: [1, 'two', null], nested: { ok: true } };"));
    assert.equal(result.status, "SUCCEEDED");
    assert.deepEqual(result.value, { answer: 42, items: [1, "two", null], nested: { ok: true } });
    assert.equal(result.error, undefined);
    assert.ok(result.finishedAt >= result.startedAt);
    assert.ok(result.durationMs >= 0);
  });

  it("leaves value out when the function returns nothing", async () => {
    const result = await run(fn("const x = 1;"));
    assert.equal(result.status, "SUCCEEDED");
    assert.equal("value" in result, false);
  });

  it("supports top-level await before the default export", async () => {
    const result = await run("const base = await Promise.resolve(40);\nexport default async () => base + 2;");
    assert.equal(result.value, 42);
  });

  it("gives ctx.lastSuccessAt and, for endpoints, ctx.request with json()", async () => {
    const result = await run(
      fn(
        "return { last: ctx.lastSuccessAt, method: ctx.request.method, path: ctx.request.path, " +
          "q: ctx.request.query.q, type: ctx.request.headers['content-type'], parsed: ctx.request.json() };",
      ),
      {
        ctx: {
          lastSuccessAt: "2024-05-01T10:00:00.000Z",
          request: {
            method: "POST",
            path: "/functions/sync",
            query: { q: "x" },
            headers: { "content-type": "application/json" },
            body: '{"id":7}',
          },
        },
      },
    );
    assert.deepEqual(result.value, {
      last: "2024-05-01T10:00:00.000Z",
      method: "POST",
      path: "/functions/sync",
      q: "x",
      type: "application/json",
      parsed: { id: 7 },
    });
  });

  it("ends a thrown error as FAILED with its message and where it was thrown", async () => {
    const result = await run(fn("throw new Error('no such visitor');"));
    assert.equal(result.status, "FAILED");
    assert.match(result.error ?? "", /^Error: no such visitor\n\s+at .*function\.js:2/);
    await assertNextRunWorks();
  });

  it("fails a module without a default export function", async () => {
    const result = await run("export const handler = async () => 1;");
    assert.equal(result.status, "FAILED");
    assert.match(result.error ?? "", /default export/);
  });

  it("fails a return value that is not JSON", async () => {
    const result = await run(fn("return { big: 10n };"));
    assert.equal(result.status, "FAILED");
    assert.match(result.error ?? "", /the return value is not JSON: TypeError/);
  });

  it("fails a promise that can never settle instead of waiting out the limit", async () => {
    const result = await run(fn("await new Promise(() => {});"));
    assert.equal(result.status, "FAILED");
    assert.match(result.error ?? "", /never settled/);
    assert.ok(result.durationMs < 500);
  });

  it("reaches nothing of the host: no process, require, timers or imports", async () => {
    const probe = await run(
      fn("return [typeof process, typeof require, typeof setTimeout, typeof globalThis.host, typeof fetch];"),
    );
    assert.deepEqual(probe.value, ["undefined", "undefined", "undefined", "undefined", "function"]);
    const imported = await run("import fs from 'fs';\nexport default async () => typeof fs;");
    assert.equal(imported.status, "FAILED");
    assert.match(imported.error ?? "", /could not load module 'fs'/);
  });
});

describe("sandbox runner: console", () => {
  it("captures console.log/info/warn/error/debug as level-prefixed lines", async () => {
    const result = await run(
      fn(`console.log("hello", 1, { a: [true] });
console.info("info");
console.warn("warn");
console.error(new TypeError("bad"));
console.debug(undefined, null);`),
    );
    const lines = result.logs.split("\n");
    assert.deepEqual(lines.slice(0, 4), [
      '[log] hello 1 {"a":[true]}',
      "[info] info",
      "[warn] warn",
      "[error] TypeError: bad",
    ]);
    assert.ok(lines.includes("[debug] undefined null"));
  });

  it("cuts the logs at the byte limit and marks the cut", async () => {
    const result = await run(
      fn("for (let i = 0; i < 200; i++) console.log('line ' + i + ' ' + 'x'.repeat(40));"),
      {
        limits: { maxLogBytes: 1_024 },
      },
    );
    assert.equal(result.status, "SUCCEEDED");
    assert.ok(result.logs.startsWith("[log] line 0 "));
    assert.ok(result.logs.endsWith("\n[logs truncated]\n"));
    const kept = result.logs.slice(0, -"\n[logs truncated]\n".length);
    assert.equal(Buffer.byteLength(kept), 1_024);
  });

  it("keeps the logs of a run that is stopped", async () => {
    const result = await run(fn("console.log('before the loop'); while (true) {}"), {
      limits: { timeoutMs: 300 },
    });
    assert.equal(result.status, "TIMED_OUT");
    assert.equal(result.logs, "[log] before the loop\n");
  });
});

describe("sandbox runner: limits", () => {
  it("ends `while (true) {}` as TIMED_OUT within the limit plus a second, without stalling this event loop", async () => {
    const { result, elapsedMs, worstGapMs } = await runWatchingEventLoop(fn("while (true) {}"), {
      timeoutMs: 300,
    });
    assert.equal(result.status, "TIMED_OUT");
    assert.match(result.error ?? "", /time limit of 300 ms/);
    assert.ok(elapsedMs < 300 + 1_000, `took ${elapsedMs} ms`);
    assert.ok(worstGapMs < 100, `the event loop stalled for ${worstGapMs} ms`);
    await assertNextRunWorks();
  });

  it("ends a run waiting on a host call past its limit as TIMED_OUT", async () => {
    const hooks = memoryHooks({ graphql: () => new Promise<never>(() => {}) });
    const result = await run(fn("await visit.graphql('{ slow }');"), { hooks, limits: { timeoutMs: 300 } });
    assert.equal(result.status, "TIMED_OUT");
    assert.ok(result.durationMs < 800, `took ${result.durationMs} ms`);
    await assertNextRunWorks();
  });

  it("ends an allocation bomb as OUT_OF_MEMORY", async () => {
    const result = await run(
      fn("const hoard = []; while (true) hoard.push('x'.repeat(1 << 20) + hoard.length);"),
      {
        limits: { memoryBytes: 32 * 1024 * 1024, timeoutMs: 5_000 },
      },
    );
    assert.equal(result.status, "OUT_OF_MEMORY");
    assert.match(result.error ?? "", /memory limit of 32 MiB/);
    await assertNextRunWorks();
  });

  it("holds a run to its own memory limit after a run with a larger one", async () => {
    const hoard = fn(
      "const hoard = []; for (let i = 0; i < 100; i++) hoard.push('x'.repeat(1 << 20) + i); return hoard.length;",
    );
    const large = await run(hoard, { limits: { memoryBytes: 256 * 1024 * 1024, timeoutMs: 5_000 } });
    assert.equal(large.status, "SUCCEEDED", large.error);
    const small = await run(hoard, { limits: { memoryBytes: 32 * 1024 * 1024, timeoutMs: 5_000 } });
    assert.equal(small.status, "OUT_OF_MEMORY");
    await assertNextRunWorks();
  });

  it("ends many small allocations as OUT_OF_MEMORY too", async () => {
    const result = await run(
      fn("const hoard = []; while (true) hoard.push({ n: hoard.length, list: [1, 2, 3] });"),
      {
        limits: { memoryBytes: 16 * 1024 * 1024, timeoutMs: 5_000 },
      },
    );
    assert.equal(result.status, "OUT_OF_MEMORY");
    await assertNextRunWorks();
  });

  it("ends deep recursion as FAILED with a stack overflow", async () => {
    const result = await run(fn("function down(n) { return down(n + 1) + 1; }\nreturn down(0);"));
    assert.equal(result.status, "FAILED");
    assert.match(result.error ?? "", /^InternalError: stack overflow/);
    assert.ok((result.error ?? "").split("\n").length < 12, "the stack is shortened");
    await assertNextRunWorks();
  });

  it("ends deeply nested source as FAILED, even when it exhausts the worker's own stack", async () => {
    const result = await run(fn(`return eval("${"[".repeat(50_000)}${"]".repeat(50_000)}").length;`));
    assert.equal(result.status, "FAILED");
    assert.match(result.error ?? "", /stack overflow/);
    await assertNextRunWorks();
  });

  it("refuses a single allocation over the memory limit", async () => {
    const result = await run(fn("return 'x'.repeat(2 ** 28).length;"));
    assert.equal(result.status, "OUT_OF_MEMORY");
    await assertNextRunWorks();
  });

  it("stops a single long native operation by terminating its worker", async () => {
    // One call into native code (joining 2^30 holes) that never reaches an interrupt check.
    const { result, elapsedMs, worstGapMs } = await runWatchingEventLoop(
      fn("return Array(2 ** 30).join('').length;"),
      {
        timeoutMs: 300,
      },
    );
    assert.equal(result.status, "TIMED_OUT");
    assert.match(result.error ?? "", /was stopped/);
    assert.ok(elapsedMs < 300 + 1_000 + 500, `took ${elapsedMs} ms`);
    assert.ok(worstGapMs < 100, `the event loop stalled for ${worstGapMs} ms`);
    await assertNextRunWorks();
  });
});

describe("sandbox runner: host API", () => {
  it("passes visit.graphql's query and variables to the hook and returns its result", async () => {
    const calls: unknown[] = [];
    const hooks = memoryHooks({
      graphql: async (query, variables) => {
        calls.push({ query, variables });
        return { data: { event: { id: variables.id, name: "Expo" } } };
      },
    });
    const result = await run(
      fn(
        "const { data } = await visit.graphql('query($id: ID!) { event(id: $id) { id name } }', { id: 'e1' });\n" +
          "return data.event.name;",
      ),
      { hooks },
    );
    assert.equal(result.value, "Expo");
    assert.deepEqual(calls, [
      { query: "query($id: ID!) { event(id: $id) { id name } }", variables: { id: "e1" } },
    ]);
  });

  it("rejects the guest's promise with the hook's error message", async () => {
    const hooks = memoryHooks({
      graphql: async () => {
        throw new Error("API key lacks scope events:read");
      },
    });
    const result = await run(
      fn("try { await visit.graphql('{ events }'); } catch (e) { return e.message; }"),
      {
        hooks,
      },
    );
    assert.equal(result.value, "API key lacks scope events:read");
  });

  it("round-trips state.set and state.get through the hooks", async () => {
    const hooks = memoryHooks();
    const first = await run(
      fn(
        "const before = await state.get('cursor');\nawait state.set('cursor', { revision: 12 });\nreturn before;",
      ),
      { hooks },
    );
    assert.equal(first.value, null);
    assert.deepEqual(hooks.state, { cursor: { revision: 12 } });
    const second = await run(fn("return await state.get('cursor');"), { hooks });
    assert.deepEqual(second.value, { revision: 12 });
  });

  it("refuses state over 64 KiB per function with a clear error", async () => {
    const hooks = memoryHooks();
    const result = await run(
      fn(`const refused = [];
try { await state.set('huge', 'x'.repeat(70 * 1024)); } catch (e) { refused.push(e.message); }
await state.set('a', 'x'.repeat(40 * 1024));
try { await state.set('b', 'x'.repeat(40 * 1024)); } catch (e) { refused.push(e.message); }
await state.set('a', 'small');
await state.set('b', 'x'.repeat(40 * 1024));
return refused;`),
      { hooks },
    );
    assert.equal(result.status, "SUCCEEDED", result.error);
    const [alone, total] = result.value as string[];
    assert.match(
      alone ?? "",
      /state\.set\("huge"\) refused: the function's state would be 7\d{4} bytes, over the limit of 65536/,
    );
    assert.match(
      total ?? "",
      /state\.set\("b"\) refused: the function's state would be 8\d{4} bytes, over the limit of 65536/,
    );
    assert.deepEqual(Object.keys(hooks.state), ["a", "b"]);
    assert.equal(hooks.state.a, "small");
  });

  it("refuses state values that are not JSON", async () => {
    const result = await run(fn("try { await state.set('x', undefined); } catch (e) { return e.message; }"));
    assert.match(String(result.value), /must be JSON/);
  });
});
