import assert from "node:assert/strict";
import http, { createServer, type Server } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it, mock } from "node:test";
import {
  DEFAULT_FETCH_POLICY,
  type FetchPolicy,
  type FetchRequest,
  safeFetch,
} from "@/jobs/sandbox/safe-fetch.js";
import { refusedAddressReason } from "@/src/net/outbound-address.js";

// Only loopback servers of this test receive real traffic; every other address must be refused before
// a connection is attempted.
let allowed: Server;
let secret: Server;
let allowedPort: number;
let secretPort: number;
let secretHits = 0;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
};

before(async () => {
  secret = createServer((_request, response) => {
    secretHits++;
    response.end("internal secret");
  });
  secretPort = await listen(secret);
  allowed = createServer((request, response) => {
    if (request.url === "/hello") {
      response.setHeader("x-greeting", "hi");
      response.end(JSON.stringify({ hello: "world", method: request.method }));
    } else if (request.url === "/echo") {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () =>
        response.end(JSON.stringify({ method: request.method, body, headers: request.headers })),
      );
    } else if (request.url === "/to-hello") {
      response.writeHead(302, { location: "/hello" }).end();
    } else if (request.url === "/to-secret") {
      response.writeHead(302, { location: `http://127.0.0.1:${secretPort}/` }).end();
    } else if (request.url === "/loop") {
      response.writeHead(302, { location: "/loop" }).end();
    } else if (request.url === "/big") {
      response.end("x".repeat(4_096));
    } else if (request.url === "/hang") {
      // Never answers: the caller's time limit has to end the request.
    } else {
      response.writeHead(404).end();
    }
  });
  allowedPort = await listen(allowed);
});

after(() => {
  allowed.closeAllConnections();
  allowed.close();
  secret.close();
});

const policy = (overrides: Partial<FetchPolicy> = {}): FetchPolicy => ({
  ...DEFAULT_FETCH_POLICY,
  allow: [`127.0.0.1:${allowedPort}`],
  timeoutMs: 2_000,
  ...overrides,
});

const get = (url: string): FetchRequest => ({ url, method: "GET", headers: {} });

/**
 * Asserts a refusal that names the address class and comes before any connection: no HTTP(S)
 * request is even opened (observed, not timed, so a busy machine cannot make it pass or fail).
 */
async function assertRefusedBeforeConnecting(
  url: string,
  reason: RegExp,
  options: Partial<FetchPolicy> = {},
) {
  const opened = [mock.method(http, "request"), mock.method(https, "request")];
  try {
    await assert.rejects(safeFetch(get(url), policy(options)), reason);
    assert.equal(
      opened.reduce((count, spy) => count + spy.mock.callCount(), 0),
      0,
      `refusing ${url} opened a request`,
    );
  } finally {
    for (const spy of opened) spy.mock.restore();
  }
}

describe("safe fetch: address checks", () => {
  it("classifies refused addresses and lets public unicast through", () => {
    const cases: [string, RegExp | undefined][] = [
      ["127.0.0.1", /loopback/],
      ["::1", /loopback/],
      ["10.0.0.1", /private/],
      ["172.16.0.1", /private/],
      ["192.168.1.10", /private/],
      ["fc00::1", /private \(unique local\)/],
      ["169.254.10.1", /link-local/],
      ["fe80::1", /link-local/],
      ["100.64.0.1", /carrier-grade NAT/],
      ["0.0.0.0", /unspecified/],
      ["224.0.0.1", /multicast/],
      ["ff02::1", /multicast/],
      ["169.254.169.254", /cloud metadata/],
      ["fd00:ec2::254", /cloud metadata/],
      ["::ffff:10.0.0.1", /10\.0\.0\.1 is a private/],
      ["2002:a00:1::1", /reserved \(6to4\)/],
      ["8.8.8.8", undefined],
      ["2606:4700:4700::1111", undefined],
    ];
    for (const [address, reason] of cases) {
      const actual = refusedAddressReason(address);
      if (reason) assert.match(actual ?? "", reason, address);
      else assert.equal(actual, undefined, address);
    }
  });

  it("refuses private, link-local and metadata addresses before connecting", async () => {
    await assertRefusedBeforeConnecting("http://10.0.0.1/", /refused: 10\.0\.0\.1 is a private address/);
    await assertRefusedBeforeConnecting(
      "http://169.254.169.254/latest/meta-data/",
      /169\.254\.169\.254 is the cloud metadata address/,
    );
    await assertRefusedBeforeConnecting("http://[fd00:ec2::254]/", /cloud metadata/);
  });

  it("refuses loopback by address and by name, IPv4 and IPv6", async () => {
    await assertRefusedBeforeConnecting(
      `http://127.0.0.1:${secretPort}/`,
      /127\.0\.0\.1 is a loopback address/,
    );
    await assertRefusedBeforeConnecting(`http://localhost:${secretPort}/`, /is a loopback address/);
    await assertRefusedBeforeConnecting(`http://[::1]:${secretPort}/`, /::1 is a loopback address/);
    assert.equal(secretHits, 0);
  });

  it("refuses schemes other than http and https", async () => {
    await assertRefusedBeforeConnecting("file:///etc/passwd", /only http and https/);
    await assertRefusedBeforeConnecting("ftp://example.com/", /only http and https/);
  });
});

describe("safe fetch: requests", () => {
  it("reaches a host on the allow-list, by host:port entry", async () => {
    const response = await safeFetch(get(`http://127.0.0.1:${allowedPort}/hello`), policy());
    assert.equal(response.status, 200);
    assert.equal(response.headers["x-greeting"], "hi");
    assert.deepEqual(JSON.parse(response.body), { hello: "world", method: "GET" });
    assert.equal(response.redirected, false);
  });

  it("reaches a host on the allow-list, by host name entry", async () => {
    const response = await safeFetch(
      get(`http://127.0.0.1:${allowedPort}/hello`),
      policy({ allow: ["127.0.0.1"] }),
    );
    assert.equal(response.status, 200);
  });

  it("does not allow another port of an allowed host:port entry", async () => {
    await assertRefusedBeforeConnecting(`http://127.0.0.1:${secretPort}/`, /loopback/);
  });

  it("sends the method, headers and body, without a caller-chosen Host", async () => {
    const response = await safeFetch(
      {
        url: `http://127.0.0.1:${allowedPort}/echo`,
        method: "POST",
        headers: { "content-type": "application/json", host: "internal.example" },
        body: '{"a":1}',
      },
      policy(),
    );
    const echoed = JSON.parse(response.body);
    assert.equal(echoed.method, "POST");
    assert.equal(echoed.body, '{"a":1}');
    assert.equal(echoed.headers["content-type"], "application/json");
    assert.equal(echoed.headers.host, `127.0.0.1:${allowedPort}`);
  });

  it("follows redirects it may follow", async () => {
    const response = await safeFetch(get(`http://127.0.0.1:${allowedPort}/to-hello`), policy());
    assert.equal(response.status, 200);
    assert.equal(response.redirected, true);
    assert.equal(response.url, `http://127.0.0.1:${allowedPort}/hello`);
  });

  it("refuses a redirect to a loopback address that is not allowed", async () => {
    await assert.rejects(
      safeFetch(get(`http://127.0.0.1:${allowedPort}/to-secret`), policy()),
      /refused: 127\.0\.0\.1 is a loopback address/,
    );
    assert.equal(secretHits, 0);
  });

  it("stops after five redirects", async () => {
    await assert.rejects(
      safeFetch(get(`http://127.0.0.1:${allowedPort}/loop`), policy()),
      /more than 5 redirects/,
    );
  });

  it("caps the response size", async () => {
    await assert.rejects(
      safeFetch(get(`http://127.0.0.1:${allowedPort}/big`), policy({ maxResponseBytes: 1_024 })),
      /exceeds 1024 bytes/,
    );
  });

  it("caps the time of a request", async () => {
    const started = performance.now();
    await assert.rejects(
      safeFetch(get(`http://127.0.0.1:${allowedPort}/hang`), policy({ timeoutMs: 200 })),
      /timed out after 200 ms/,
    );
    assert.ok(performance.now() - started < 1_000);
  });
});
