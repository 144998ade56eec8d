import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DEFAULT_FETCH_POLICY } from "@/jobs/sandbox/safe-fetch.js";
import { SandboxRunner } from "@/jobs/sandbox/sandbox-runner.js";
import { fn, memoryHooks, runIn } from "./support.js";

// fetch() inside a function goes through the runner's SSRF-guarded fetch; only this test's loopback
// servers receive traffic.
let server: Server;
let secret: Server;
let port: number;
let secretPort: number;
let secretHits = 0;
let runner: SandboxRunner;

const listen = async (target: Server) => {
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  return (target.address() as AddressInfo).port;
};

before(async () => {
  secret = createServer((_request, response) => {
    secretHits++;
    response.end("internal secret");
  });
  secretPort = await listen(secret);
  server = createServer((request, response) => {
    if (request.url === "/to-secret") {
      response.writeHead(302, { location: `http://127.0.0.1:${secretPort}/` }).end();
      return;
    }
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ path: request.url, method: request.method }));
  });
  port = await listen(server);
  runner = new SandboxRunner({
    workers: 1,
    fetchPolicy: { ...DEFAULT_FETCH_POLICY, allow: [`127.0.0.1:${port}`] },
  });
});

after(async () => {
  await runner.close();
  server.close();
  secret.close();
});

const run = (code: string, options?: Parameters<typeof runIn>[2]) => runIn(runner, code, options);

/** Guest code that fetches `url` and returns the error message, or "reached" when it got through. */
const tryFetch = (url: string) =>
  fn(`try { await fetch(${JSON.stringify(url)}); return "reached"; } catch (e) { return e.message; }`);

describe("fetch inside a function", () => {
  it("reaches an allow-listed host and gives a Response-like object", async () => {
    const result = await run(
      fn(`const response = await fetch("http://127.0.0.1:${port}/items?x=1", { method: "post", headers: { "X-Test": "1" }, body: "{}" });
return {
  status: response.status,
  ok: response.ok,
  type: response.headers.get("Content-Type"),
  data: await response.json(),
};`),
    );
    assert.equal(result.status, "SUCCEEDED", result.error);
    assert.deepEqual(result.value, {
      status: 200,
      ok: true,
      type: "application/json",
      data: { path: "/items?x=1", method: "POST" },
    });
    assert.equal(result.fetchCount, 1);
  });

  it("is refused for loopback, private, link-local and metadata addresses", async () => {
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${secretPort}/`, /127\.0\.0\.1 is a loopback address/],
      [`http://localhost:${secretPort}/`, /is a loopback address/],
      [`http://[::1]:${secretPort}/`, /::1 is a loopback address/],
      ["http://10.0.0.1/", /10\.0\.0\.1 is a private address/],
      ["http://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is the cloud metadata address/],
    ];
    for (const [url, reason] of cases) {
      const result = await run(tryFetch(url));
      assert.match(String(result.value), reason, url);
      // Refused before any connection: no waiting on an unreachable address.
      assert.ok(result.durationMs < 500, `${url} took ${result.durationMs} ms`);
    }
    assert.equal(secretHits, 0);
  });

  it("is refused when an allowed host redirects to a loopback address", async () => {
    const result = await run(tryFetch(`http://127.0.0.1:${port}/to-secret`));
    assert.match(String(result.value), /refused: 127\.0\.0\.1 is a loopback address/);
    assert.equal(secretHits, 0);
  });

  it("counts requests against the per-run limit", async () => {
    const result = await run(
      fn(`const outcomes = [];
for (let i = 0; i < 3; i++) {
  try { outcomes.push((await fetch("http://127.0.0.1:${port}/n" + i)).status); } catch (e) { outcomes.push(e.message); }
}
return outcomes;`),
      { limits: { maxFetches: 2 } },
    );
    assert.deepEqual(result.value, [
      200,
      200,
      "fetch refused: the limit of 2 outbound requests per run is reached",
    ]);
    assert.equal(result.fetchCount, 2);
  });

  it("uses the caller's fetch hook when one is given", async () => {
    const seen: string[] = [];
    const hooks = memoryHooks({
      fetch: async (request) => {
        seen.push(`${request.method} ${request.url}`);
        return {
          url: request.url,
          status: 201,
          statusText: "Created",
          redirected: false,
          headers: {},
          body: "made",
        };
      },
    });
    const result = await run(
      fn(
        "const r = await fetch('https://api.example.com/x', { method: 'PUT', body: 'b' }); return [r.status, await r.text()];",
      ),
      { hooks },
    );
    assert.deepEqual(result.value, [201, "made"]);
    assert.deepEqual(seen, ["PUT https://api.example.com/x"]);
  });

  it("takes only string bodies", async () => {
    const result = await run(
      fn(
        `try { await fetch("http://127.0.0.1:${port}/", { method: "POST", body: { a: 1 } }); } catch (e) { return e.message; }`,
      ),
    );
    assert.match(String(result.value), /body must be a string/);
    assert.equal(result.fetchCount, 0);
  });

  it("gives one Headers class: the global, fetch's response headers, and a reassigned global", async () => {
    const hooks = memoryHooks({
      fetch: async (request) => ({
        url: request.url,
        status: 200,
        statusText: "OK",
        redirected: false,
        headers: { "X-One": "1" },
        body: "",
      }),
    });
    const result = await run(
      fn(`const descriptor = Object.getOwnPropertyDescriptor(globalThis, "Headers");
const made = new Headers([["A", "1"]]);
const response = await fetch("https://api.example.com/");
const same = response.headers instanceof Headers && made instanceof Headers;
Headers = 5;
return [descriptor.enumerable, same, made.get("a"), response.headers.get("x-one"), Headers];`),
      { hooks },
    );
    assert.equal(result.status, "SUCCEEDED", result.error);
    assert.deepEqual(result.value, [false, true, "1", "1", 5]);
  });

  it("keeps the API working when the guest replaces built-ins before first using it", async () => {
    const hooks = memoryHooks({
      fetch: async (request) => ({
        url: request.url,
        status: 200,
        statusText: "OK",
        redirected: false,
        headers: {},
        body: '{"ok":true}',
      }),
    });
    const result = await run(
      fn(`JSON.parse = () => "replaced";
JSON.stringify = () => "replaced";
console.log({ a: 1 });
const response = await fetch("https://api.example.com/");
return await response.text();`),
      { hooks },
    );
    assert.equal(result.status, "SUCCEEDED", result.error);
    assert.equal(result.logs, '[log] {"a":1}\n');
    assert.equal(result.value, '{"ok":true}');
  });
});
