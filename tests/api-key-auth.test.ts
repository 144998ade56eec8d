import "reflect-metadata";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { newApiKeySecret } from "@/src/auth/api-key-format.js";
import { basicAuth, createApiKey, createEvent, failure } from "./support/factories.js";
import { mockClock, startApp, type TestApp } from "./support/harness.js";

// SPEC section 3: every refusal reason of an API key on GraphQL, with its status and reason.

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

const EVENTS = "{ events { id } }";

/** The secret with one character of its random part replaced: the checksum no longer matches. */
function mistype(secret: string, at = 10): string {
  const replacement = secret[at] === "a" ? "b" : "a";
  return secret.slice(0, at) + replacement + secret.slice(at + 1);
}

describe("API key refusals on GraphQL", () => {
  it("refuses a data query without credentials: 401 MISSING_CREDENTIALS", async () => {
    const result = await t.gql(EVENTS, {}, { as: null });
    assert.deepEqual(failure(result), {
      status: 401,
      code: "UNAUTHENTICATED",
      reason: "MISSING_CREDENTIALS",
      fields: [],
      data: null,
    });
  });

  it("refuses a malformed Authorization header: 401 MALFORMED_CREDENTIALS", async () => {
    const headers = [
      "Bearer",
      "Token abc",
      "Digest username=x",
      `Basic ${Buffer.from("user:password").toString("base64")}`,
      `Basic ${Buffer.from(":").toString("base64")}`,
      "Bearer not-a-key",
    ];
    for (const authorization of headers) {
      const result = failure(await t.gql(EVENTS, {}, { as: { headers: { authorization } } }));
      assert.deepEqual(
        [result.status, result.code, result.reason, result.data],
        [401, "UNAUTHENTICATED", "MALFORMED_CREDENTIALS", null],
        authorization,
      );
    }
  });

  it("refuses a mistyped key (bad checksum) as MALFORMED_CREDENTIALS without reading the database", async () => {
    const key = await createApiKey(t);
    await t.ok(EVENTS, {}, { as: key.secret });
    await t.app.usage.flush();
    const stats = t.app.database.stats;

    for (const mistyped of [mistype(key.secret), mistype(key.secret, key.secret.length - 1)]) {
      const before = stats.queries;
      const result = failure(await t.gql(EVENTS, {}, { as: mistyped }));
      assert.deepEqual(
        [result.status, result.code, result.reason],
        [401, "UNAUTHENTICATED", "MALFORMED_CREDENTIALS"],
      );
      const basic = failure(await t.gql(EVENTS, {}, { as: basicAuth(mistyped) }));
      assert.equal(basic.reason, "MALFORMED_CREDENTIALS");
      assert.equal(stats.queries, before, "a mistyped key must be refused before any SQL statement");
    }

    // The counter is live: a well-formed key that is not in the cache costs a look-up.
    const before = stats.queries;
    const unknown = failure(await t.gql(EVENTS, {}, { as: newApiKeySecret() }));
    assert.equal(unknown.reason, "UNKNOWN_KEY");
    assert.ok(stats.queries > before);
  });

  it("refuses a well-formed unknown key: 401 UNKNOWN_KEY", async () => {
    const secret = newApiKeySecret();
    for (const as of [secret, basicAuth(secret), basicAuth(secret, false)]) {
      assert.deepEqual(failure(await t.gql(EVENTS, {}, { as })), {
        status: 401,
        code: "UNAUTHENTICATED",
        reason: "UNKNOWN_KEY",
        fields: [],
        data: null,
      });
    }
  });

  it("refuses a disabled key: 401 KEY_DISABLED", async () => {
    const key = await createApiKey(t, { state: "DISABLED" });
    const result = failure(await t.gql(EVENTS, {}, { as: key.secret }));
    assert.deepEqual([result.status, result.code, result.reason], [401, "UNAUTHENTICATED", "KEY_DISABLED"]);
  });

  it("refuses an expired key: 401 KEY_EXPIRED, also once a cached key's expiry passes", async (ctx) => {
    const past = await createApiKey(t, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    const result = failure(await t.gql(EVENTS, {}, { as: past.secret }));
    assert.deepEqual([result.status, result.code, result.reason], [401, "UNAUTHENTICATED", "KEY_EXPIRED"]);

    // Expiry well inside the key cache's lifetime (API_KEY_CACHE_TTL_MS, 60 s), so the second call
    // is served from the cache.
    const clock = mockClock(ctx);
    const soon = await createApiKey(t, { expiresAt: new Date(Date.now() + 30_000).toISOString() });
    await t.ok(EVENTS, {}, { as: soon.secret }); // verified, and now cached
    clock.advance(30_000);
    const later = failure(await t.gql(EVENTS, {}, { as: soon.secret }));
    assert.deepEqual([later.status, later.reason], [401, "KEY_EXPIRED"]);
  });

  it("accepts a key whose expiry is in the future", async () => {
    const key = await createApiKey(t, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await t.ok(EVENTS, {}, { as: key.secret });
  });

  it("refuses a caller outside allowedIps: 401 IP_NOT_ALLOWED (calls come from 127.0.0.1)", async () => {
    for (const allowedIps of [["10.1.2.0/24"], ["10.0.0.1"], ["::1"], ["2001:db8::/32"], ["128.0.0.0/1"]]) {
      const key = await createApiKey(t, { allowedIps });
      const result = failure(await t.gql(EVENTS, {}, { as: key.secret }));
      assert.deepEqual(
        [result.status, result.code, result.reason, result.data],
        [401, "UNAUTHENTICATED", "IP_NOT_ALLOWED", null],
        JSON.stringify(allowedIps),
      );
    }
  });

  it("accepts a caller inside allowedIps, in every form that names 127.0.0.1", async () => {
    for (const allowedIps of [
      [],
      ["127.0.0.1"],
      ["127.0.0.0/8"],
      ["0.0.0.0/0"],
      ["10.1.2.0/24", "127.0.0.1"],
      ["::ffff:127.0.0.1"],
      ["::ffff:127.0.0.0/104"],
    ]) {
      const key = await createApiKey(t, { allowedIps });
      const result = await t.gql(EVENTS, {}, { as: key.secret });
      assert.equal(result.status, 200, `${JSON.stringify(allowedIps)}: ${JSON.stringify(result.errors)}`);
    }
  });

  describe("from ::1 (an IPv6 loopback listener in front of the same app)", () => {
    let ipv6: Server;
    let url: string;
    before(async () => {
      ipv6 = createServer((req, res) => t.app.server.emit("request", req, res));
      await new Promise<void>((resolve) => ipv6.listen(0, "::1", resolve));
      const address = ipv6.address();
      url = `http://[::1]:${typeof address === "object" && address ? address.port : 0}/graphql`;
    });
    after(() => new Promise<void>((resolve) => ipv6.close(() => resolve())));

    const call = async (secret: string) => {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query: EVENTS }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { reason?: string } }[] };
      return { status: response.status, reason: body.errors?.[0]?.extensions?.reason };
    };

    it("accepts ::1 and ::/0-style ranges, refuses IPv4-only lists", async () => {
      for (const allowedIps of [["::1"], ["::1/128"], ["::/0"], ["10.0.0.0/8", "::1"]]) {
        const key = await createApiKey(t, { allowedIps });
        assert.deepEqual(
          await call(key.secret),
          { status: 200, reason: undefined },
          JSON.stringify(allowedIps),
        );
      }
      for (const allowedIps of [["127.0.0.1"], ["127.0.0.0/8"], ["2001:db8::/32"]]) {
        const key = await createApiKey(t, { allowedIps });
        assert.deepEqual(
          await call(key.secret),
          { status: 401, reason: "IP_NOT_ALLOWED" },
          JSON.stringify(allowedIps),
        );
      }
    });
  });

  it("refuses an event outside the key's eventIds: 403 EVENT_NOT_ALLOWED", async () => {
    const mine = await createEvent(t);
    const other = await createEvent(t);
    const key = await createApiKey(t, { eventIds: [mine.id] });
    const query = "query($id: ID!) { event(id: $id) { id } }";
    await t.ok(query, { id: mine.id }, { as: key.secret });
    const result = failure(await t.gql(query, { id: other.id }, { as: key.secret }));
    assert.deepEqual(
      [result.status, result.code, result.reason, result.data],
      [403, "FORBIDDEN", "EVENT_NOT_ALLOWED", null],
    );
  });

  it("refuses a write with a read-only key: 403 READ_ONLY_KEY", async () => {
    const key = await createApiKey(t, { canWrite: false });
    const result = failure(
      await t.gql(
        'mutation { createEvent(input: { name: "x", start: "2027-01-01T00:00:00Z", end: "2027-01-02T00:00:00Z" }) { id } }',
        {},
        { as: key.secret },
      ),
    );
    assert.deepEqual(
      [result.status, result.code, result.reason, result.data],
      [403, "FORBIDDEN", "READ_ONLY_KEY", null],
    );
  });

  it("refuses every account-management operation to a key, even a writable one: 403 MISSING_ROLE", async () => {
    const target = await createApiKey(t);
    const key = await createApiKey(t, { canWrite: true });
    const now = Date.now();
    const operations: [string, Record<string, unknown>][] = [
      ["{ apiKeys { id } }", {}],
      ["query($id: ID!) { apiKey(id: $id) { id } }", { id: target.id }],
      ["mutation { createApiKey(input: { canWrite: true }) { secret } }", {}],
      ['mutation($id: ID!) { updateApiKey(id: $id, input: { comments: "x" }) { id } }', { id: target.id }],
      ["mutation($id: ID!) { deleteApiKey(id: $id) { id } }", { id: target.id }],
      ["{ apiKeyAuditLog { id } }", {}],
      [
        "query($from: DateTimeISO!, $until: DateTimeISO!) { apiStatistics(from: $from, until: $until, resolution: DAY) { calls } }",
        { from: new Date(now - 86_400_000).toISOString(), until: new Date(now).toISOString() },
      ],
      ["{ users { id } }", {}],
      [
        'mutation { createUser(input: { email: "k@example.test", name: "K", password: "password-123", roles: [ADMIN] }) { id } }',
        {},
      ],
      ["{ me { id } }", {}],
    ];
    for (const [query, variables] of operations) {
      const result = failure(await t.gql(query, variables, { as: key.secret }));
      assert.deepEqual(
        [result.status, result.code, result.reason, result.data],
        [403, "FORBIDDEN", "MISSING_ROLE", null],
        query,
      );
    }
    // Nothing changed: the target key is still there, unchanged.
    const still = await t.ok<{ apiKey: { comments: string | null } }>(
      "query($id: ID!) { apiKey(id: $id) { comments } }",
      { id: target.id },
    );
    assert.equal(still.apiKey.comments, null);
  });
});

describe("API key credentials", () => {
  it("accepts Basic base64(key + ':'), Basic base64(key) and Bearer key", async () => {
    const event = await createEvent(t);
    const key = await createApiKey(t);
    for (const as of [key.secret, basicAuth(key.secret), basicAuth(key.secret, false)]) {
      const data = await t.ok<{ events: { id: string }[] }>(EVENTS, {}, { as });
      assert.ok(data.events.some((row) => row.id === event.id));
    }
    // The scheme is case-insensitive (RFC 9110).
    const lower = await t.gql(EVENTS, {}, { as: { headers: { authorization: `bearer ${key.secret}` } } });
    assert.equal(lower.status, 200);
  });

  it("refuses an unknown key the same way whichever encoding carries it", async () => {
    const secret = newApiKeySecret();
    const answers = await Promise.all(
      [secret, basicAuth(secret), basicAuth(secret, false)].map(async (as) =>
        failure(await t.gql(EVENTS, {}, { as })),
      ),
    );
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], answers[2]);
  });
});

describe("X-Forwarded-For", () => {
  it("is ignored without TRUST_PROXY: the socket address decides", async () => {
    const remote = await createApiKey(t, { allowedIps: ["10.1.2.0/24"] });
    const forwarded = {
      headers: { authorization: `Bearer ${remote.secret}`, "x-forwarded-for": "10.1.2.3" },
    };
    const refused = failure(await t.gql(EVENTS, {}, { as: forwarded }));
    assert.deepEqual([refused.status, refused.reason], [401, "IP_NOT_ALLOWED"]);

    const local = await createApiKey(t, { allowedIps: ["127.0.0.1"] });
    const spoofed = await t.gql(
      EVENTS,
      {},
      {
        as: { headers: { authorization: `Bearer ${local.secret}`, "x-forwarded-for": "10.9.9.9" } },
      },
    );
    assert.equal(spoofed.status, 200);
  });

  it("decides with TRUST_PROXY=127.0.0.1: the forwarded address is the caller", async () => {
    const proxied = await startApp({ TRUST_PROXY: "127.0.0.1" });
    try {
      const remote = await createApiKey(proxied, { allowedIps: ["10.1.2.0/24"] });
      const via = (secret: string, xff: string) => ({
        as: { headers: { authorization: `Bearer ${secret}`, "x-forwarded-for": xff } },
      });
      const ok = await proxied.gql(EVENTS, {}, via(remote.secret, "10.1.2.3"));
      assert.equal(ok.status, 200, JSON.stringify(ok.errors));
      const outside = failure(await proxied.gql(EVENTS, {}, via(remote.secret, "10.1.3.3")));
      assert.deepEqual([outside.status, outside.reason], [401, "IP_NOT_ALLOWED"]);
      // Without the header, the proxy itself (127.0.0.1) is the caller.
      const direct = failure(await proxied.gql(EVENTS, {}, { as: remote.secret }));
      assert.deepEqual([direct.status, direct.reason], [401, "IP_NOT_ALLOWED"]);

      // A key bound to the proxy's address no longer passes once a client address is forwarded.
      const local = await createApiKey(proxied, { allowedIps: ["127.0.0.1"] });
      const forwarded = failure(await proxied.gql(EVENTS, {}, via(local.secret, "10.9.9.9")));
      assert.deepEqual([forwarded.status, forwarded.reason], [401, "IP_NOT_ALLOWED"]);
    } finally {
      await proxied.close();
    }
  });
});
