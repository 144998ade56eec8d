import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { apiKeyAudit, apiKeys } from "@/schema/tables/index.js";
import {
  API_KEY_FIELDS,
  createApiKey,
  createEvent,
  failure,
  otherOrganisation,
  userWithRoles,
} from "./support/factories.js";
import { startApp, type TestApp, waitFor } from "./support/harness.js";

// Key management (SPEC sections 1 and 3): who may manage keys, the one-time secret, validation,
// changes that take effect on the very next request, the audit log and lastUsedAt.

let t: TestApp;
let manager: string; // USER_ACCOUNT_MANAGEMENT
let dataManager: string; // DATA_MANAGEMENT
before(async () => {
  t = await startApp();
  manager = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
  dataManager = await userWithRoles(t, ["DATA_MANAGEMENT"]);
});
after(() => t.close());

type ApiKeyData = {
  id: string;
  state: string;
  prefix: string;
  comments: string | null;
  expiresAt: string | null;
  allowedIps: string[];
  eventIds: string[];
  canWrite: boolean;
  contact: { name: string | null; email: string | null; phone: string | null };
  rateLimitPerMinute: number | null;
  concurrencyLimit: number | null;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
};

const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { ${API_KEY_FIELDS} } secret } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { ${API_KEY_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteApiKey(id: $id) { ${API_KEY_FIELDS} } }`;
const GET = `query($id: ID!) { apiKey(id: $id) { ${API_KEY_FIELDS} } }`;
const LIST = `{ apiKeys { ${API_KEY_FIELDS} } }`;
const AUDIT =
  "query($apiKeyId: ID) { apiKeyAuditLog(apiKeyId: $apiKeyId) { id apiKeyId action userId changes at } }";
const EVENTS = "{ events { id } }";

type AuditEntry = {
  id: string;
  apiKeyId: string;
  action: string;
  userId: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  at: string;
};

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
/** The random part of a key: between the `vk_` prefix and the 6-character checksum. */
const randomPart = (secret: string) => secret.slice(3, -6);

async function userId(token: string): Promise<string> {
  return (await t.ok<{ me: { id: string } }>("{ me { id } }", {}, { as: token })).me.id;
}

describe("who manages API keys", () => {
  for (const [role, as] of [
    ["ADMIN", () => t.admin.token],
    ["USER_ACCOUNT_MANAGEMENT", () => manager],
  ] as const) {
    it(`lets ${role} create, list, read, update and delete keys`, async () => {
      const created = await t.ok<{ createApiKey: { apiKey: ApiKeyData; secret: string } }>(
        CREATE,
        {
          input: {
            comments: "CRM sync",
            allowedIps: ["127.0.0.1", "10.0.0.0/8", "::1"],
            canWrite: true,
            contact: { name: "Integrator", email: "dev@example.test", phone: "+31 20 555 0100" },
            rateLimitPerMinute: 100,
            concurrencyLimit: 3,
            expiresAt: "2099-01-01T00:00:00.000Z",
          },
        },
        { as: as() },
      );
      const { apiKey, secret } = created.createApiKey;
      assert.equal(apiKey.state, "ACTIVE");
      assert.equal(apiKey.comments, "CRM sync");
      assert.deepEqual(apiKey.allowedIps, ["127.0.0.1", "10.0.0.0/8", "::1"]);
      assert.deepEqual(apiKey.eventIds, []);
      assert.equal(apiKey.canWrite, true);
      assert.deepEqual(apiKey.contact, {
        name: "Integrator",
        email: "dev@example.test",
        phone: "+31 20 555 0100",
      });
      assert.equal(apiKey.rateLimitPerMinute, 100);
      assert.equal(apiKey.concurrencyLimit, 3);
      assert.equal(apiKey.expiresAt, "2099-01-01T00:00:00.000Z");
      assert.equal(apiKey.lastUsedAt, null);
      await t.ok(EVENTS, {}, { as: secret });

      const listed = await t.ok<{ apiKeys: ApiKeyData[] }>(LIST, {}, { as: as() });
      assert.deepEqual(
        listed.apiKeys.find((row) => row.id === apiKey.id),
        { ...apiKey, lastUsedAt: listed.apiKeys.find((row) => row.id === apiKey.id)?.lastUsedAt ?? null },
      );
      const read = await t.ok<{ apiKey: ApiKeyData }>(GET, { id: apiKey.id }, { as: as() });
      assert.equal(read.apiKey.prefix, apiKey.prefix);

      const updated = await t.ok<{ updateApiKey: ApiKeyData }>(
        UPDATE,
        {
          id: apiKey.id,
          input: { comments: "CRM sync v2", canWrite: false, expiresAt: null, contact: null },
        },
        { as: as() },
      );
      assert.equal(updated.updateApiKey.comments, "CRM sync v2");
      assert.equal(updated.updateApiKey.canWrite, false);
      assert.equal(updated.updateApiKey.expiresAt, null);
      assert.deepEqual(updated.updateApiKey.contact, { name: null, email: null, phone: null });
      // Fields left out keep their value.
      assert.deepEqual(updated.updateApiKey.allowedIps, apiKey.allowedIps);
      assert.equal(updated.updateApiKey.rateLimitPerMinute, 100);

      const deleted = await t.ok<{ deleteApiKey: ApiKeyData }>(DELETE, { id: apiKey.id }, { as: as() });
      assert.equal(deleted.deleteApiKey.id, apiKey.id);
      assert.deepEqual(failure(await t.gql(GET, { id: apiKey.id }, { as: as() })), {
        status: 404,
        code: "NOT_FOUND",
        reason: undefined,
        fields: [],
        data: null,
      });
      const after = await t.ok<{ apiKeys: ApiKeyData[] }>(LIST, {}, { as: as() });
      assert.ok(!after.apiKeys.some((row) => row.id === apiKey.id));
    });
  }

  it("refuses every key operation to a DATA_MANAGEMENT user: 403 MISSING_ROLE, nothing changes", async () => {
    const key = await createApiKey(t, { comments: "untouched" });
    const operations: [string, Record<string, unknown>][] = [
      [LIST, {}],
      [GET, { id: key.id }],
      [CREATE, { input: { comments: "by a data manager" } }],
      [UPDATE, { id: key.id, input: { comments: "changed", state: "DISABLED" } }],
      [DELETE, { id: key.id }],
      [AUDIT, { apiKeyId: key.id }],
    ];
    for (const [query, variables] of operations) {
      const result = failure(await t.gql(query, variables, { as: dataManager }));
      assert.deepEqual(
        [result.status, result.code, result.reason, result.data],
        [403, "FORBIDDEN", "MISSING_ROLE", null],
        query,
      );
    }
    const read = await t.ok<{ apiKey: ApiKeyData }>(GET, { id: key.id });
    assert.equal(read.apiKey.comments, "untouched");
    assert.equal(read.apiKey.state, "ACTIVE");
    const list = await t.ok<{ apiKeys: ApiKeyData[] }>(LIST);
    assert.ok(!list.apiKeys.some((row) => row.comments === "by a data manager"));
  });
});

describe("the secret", () => {
  it("is returned by createApiKey only: no field of any other type holds it", async () => {
    const schema = await t.ok<{ __schema: { types: { name: string; fields: { name: string }[] | null }[] } }>(
      "{ __schema { types { name fields { name } } } }",
    );
    const apiKeyType = schema.__schema.types.find((type) => type.name === "ApiKey");
    assert.ok(apiKeyType?.fields);
    assert.deepEqual(
      apiKeyType.fields.filter((field) => /secret|hash/i.test(field.name)),
      [],
    );
    const holders = schema.__schema.types.flatMap((type) =>
      (type.fields ?? [])
        .filter((field) => field.name === "secret")
        .map((field) => `${type.name}.${field.name}`),
    );
    // Webhook signing secrets are shown once the same way (SPEC section 10).
    assert.deepEqual(holders.sort(), ["CreatedApiKey.secret", "CreatedWebhook.secret"]);
  });

  it("starts with the displayed prefix, which is far too short to use", async () => {
    const key = await createApiKey(t);
    assert.match(key.secret, /^vk_[0-9A-Za-z]{36}$/);
    assert.ok(key.secret.startsWith(key.prefix), `${key.prefix} is not a prefix of the secret`);
    assert.ok(key.prefix.length >= 6 && key.prefix.length <= 12, key.prefix);
    const read = await t.ok<{ apiKey: ApiKeyData }>(GET, { id: key.id });
    assert.equal(read.apiKey.prefix, key.prefix);
    // Every key is different.
    const other = await createApiKey(t);
    assert.notEqual(other.secret, key.secret);
  });

  it("is stored only as its SHA-256: no column of api_keys holds the secret or its random part", async () => {
    const keys = [await createApiKey(t), await createApiKey(t, { comments: "second" })];
    const rows = await t.app.database.db.select().from(apiKeys);
    const dump = JSON.stringify(rows);
    for (const key of keys) {
      assert.ok(!dump.includes(key.secret), "the secret is stored");
      assert.ok(!dump.includes(randomPart(key.secret)), "the random part of the secret is stored");
      const row = rows.find((candidate) => candidate.id === key.id);
      assert.ok(row);
      assert.equal(row.secretHash, sha256(key.secret));
      assert.match(row.secretHash, /^[0-9a-f]{64}$/);
      for (const [column, value] of Object.entries(row)) {
        const text = value instanceof Date ? value.toISOString() : JSON.stringify(value);
        assert.ok(!text.includes(randomPart(key.secret)), `column ${column} holds the secret`);
      }
    }
  });
});

describe("validation", () => {
  it("refuses invalid allowedIps entries, naming allowedIps.<index>", async () => {
    const before = (await t.ok<{ apiKeys: unknown[] }>(LIST)).apiKeys.length;
    const result = await t.gql(CREATE, {
      input: {
        allowedIps: [
          "127.0.0.1",
          "not-an-ip",
          "10.0.0.0/33",
          "::1",
          "10.1.2", // ipaddr.js reads this as 10.1.0.2
          "010.0.0.1", // and this, as octal, 8.0.0.1
          "2001:db8::/129",
          "1",
          "",
        ],
      },
    });
    assert.deepEqual(failure(result), {
      status: 422,
      code: "BAD_USER_INPUT",
      reason: undefined,
      fields: [
        "allowedIps.1",
        "allowedIps.2",
        "allowedIps.4",
        "allowedIps.5",
        "allowedIps.6",
        "allowedIps.7",
        "allowedIps.8",
      ],
      data: null,
    });
    assert.equal((await t.ok<{ apiKeys: unknown[] }>(LIST)).apiKeys.length, before, "no key was created");

    const key = await createApiKey(t, { allowedIps: ["127.0.0.1"] });
    const update = failure(
      await t.gql(UPDATE, { id: key.id, input: { allowedIps: ["127.0.0.1", "300.1.1.1"] } }),
    );
    assert.deepEqual([update.status, update.fields], [422, ["allowedIps.1"]]);
    const read = await t.ok<{ apiKey: ApiKeyData }>(GET, { id: key.id });
    assert.deepEqual(read.apiKey.allowedIps, ["127.0.0.1"]);
  });

  it("refuses eventIds of another organisation or of no event, naming eventIds.<index>", async () => {
    const mine = await createEvent(t);
    const other = await otherOrganisation(t);
    const theirs = await createEvent(t, other);
    const result = failure(
      await t.gql(CREATE, { input: { eventIds: [mine.id, theirs.id, "zzzzzzzzzzzzz"] } }),
    );
    assert.deepEqual(
      [result.status, result.code, result.fields],
      [422, "BAD_USER_INPUT", ["eventIds.1", "eventIds.2"]],
    );

    const key = await createApiKey(t, { eventIds: [mine.id] });
    const update = failure(await t.gql(UPDATE, { id: key.id, input: { eventIds: [theirs.id] } }));
    assert.deepEqual([update.status, update.fields], [422, ["eventIds.0"]]);
    const read = await t.ok<{ apiKey: ApiKeyData }>(GET, { id: key.id });
    assert.deepEqual(read.apiKey.eventIds, [mine.id]);
  });

  it("refuses limits below 1 and a bad contact email, naming each field", async () => {
    const result = failure(
      await t.gql(CREATE, {
        input: { rateLimitPerMinute: 0, concurrencyLimit: -1, contact: { email: "not-an-email" } },
      }),
    );
    assert.deepEqual(
      [result.status, result.fields],
      [422, ["concurrencyLimit", "contact.email", "rateLimitPerMinute"]],
    );
  });
});

describe("changes take effect on the very next request (despite the in-process cache)", () => {
  const typename = "{ __typename }";

  it("serves a verified key from the cache: a second call costs no SQL statement", async () => {
    const key = await createApiKey(t);
    await t.ok(typename, {}, { as: key.secret });
    await t.app.usage.stop(); // no flush in the middle of the measurement
    try {
      const before = t.app.database.stats.queries;
      await t.ok(typename, {}, { as: key.secret });
      assert.equal(t.app.database.stats.queries, before);
    } finally {
      t.app.usage.start(t.env.STATS_FLUSH_MS);
    }
  });

  it("disabling, re-enabling and deleting", async () => {
    const key = await createApiKey(t);
    await t.ok(EVENTS, {}, { as: key.secret });
    await t.ok(UPDATE, { id: key.id, input: { state: "DISABLED" } }, { as: manager });
    assert.equal(failure(await t.gql(EVENTS, {}, { as: key.secret })).reason, "KEY_DISABLED");
    await t.ok(UPDATE, { id: key.id, input: { state: "ACTIVE" } }, { as: manager });
    await t.ok(EVENTS, {}, { as: key.secret });
    await t.ok(DELETE, { id: key.id }, { as: manager });
    const gone = failure(await t.gql(EVENTS, {}, { as: key.secret }));
    assert.deepEqual([gone.status, gone.reason], [401, "UNKNOWN_KEY"]);
  });

  it("narrowing allowedIps, eventIds, canWrite and expiresAt", async () => {
    const event = await createEvent(t);
    const other = await createEvent(t);
    const key = await createApiKey(t, { canWrite: true });
    const eventQuery = "query($id: ID!) { event(id: $id) { id } }";
    const write = `mutation($id: ID!) { updateEvent(id: $id, input: { description: "changed" }) { id } }`;
    await t.ok(eventQuery, { id: other.id }, { as: key.secret });
    await t.ok(write, { id: event.id }, { as: key.secret });

    await t.ok(UPDATE, { id: key.id, input: { allowedIps: ["10.0.0.0/8"] } });
    assert.equal(failure(await t.gql(EVENTS, {}, { as: key.secret })).reason, "IP_NOT_ALLOWED");
    await t.ok(UPDATE, { id: key.id, input: { allowedIps: [] } });
    await t.ok(EVENTS, {}, { as: key.secret });

    await t.ok(UPDATE, { id: key.id, input: { eventIds: [event.id] } });
    assert.equal(
      failure(await t.gql(eventQuery, { id: other.id }, { as: key.secret })).reason,
      "EVENT_NOT_ALLOWED",
    );

    await t.ok(UPDATE, { id: key.id, input: { canWrite: false } });
    assert.equal(failure(await t.gql(write, { id: event.id }, { as: key.secret })).reason, "READ_ONLY_KEY");

    await t.ok(UPDATE, { id: key.id, input: { expiresAt: new Date(Date.now() - 1_000).toISOString() } });
    assert.equal(failure(await t.gql(EVENTS, {}, { as: key.secret })).reason, "KEY_EXPIRED");
  });
});

describe("audit log", () => {
  it("records CREATED, UPDATED, DISABLED, ENABLED and DELETED with the acting user and the changed fields, never the secret", async () => {
    const adminId = await userId(t.admin.token);
    const managerId = await userId(manager);
    const created = await t.ok<{ createApiKey: { apiKey: ApiKeyData; secret: string } }>(CREATE, {
      input: { comments: "audit me", allowedIps: ["127.0.0.1"] },
    });
    const { apiKey, secret } = created.createApiKey;
    await t.ok(UPDATE, { id: apiKey.id, input: { comments: "audited", canWrite: true } }, { as: manager });
    await t.ok(UPDATE, { id: apiKey.id, input: { comments: "audited" } }, { as: manager }); // no change: no entry
    await t.ok(UPDATE, { id: apiKey.id, input: { state: "DISABLED" } }, { as: manager });
    await t.ok(UPDATE, { id: apiKey.id, input: { state: "ACTIVE" } });
    await t.ok(DELETE, { id: apiKey.id }, { as: manager });

    const log = await t.ok<{ apiKeyAuditLog: AuditEntry[] }>(AUDIT, { apiKeyId: apiKey.id });
    const entries = log.apiKeyAuditLog;
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.userId]),
      [
        ["DELETED", managerId],
        ["ENABLED", adminId],
        ["DISABLED", managerId],
        ["UPDATED", managerId],
        ["CREATED", adminId],
      ],
    );
    assert.ok(entries.every((entry) => entry.apiKeyId === apiKey.id));
    const [deleted, enabled, disabled, updated, creation] = entries;
    assert.deepEqual(updated.changes, {
      comments: { from: "audit me", to: "audited" },
      canWrite: { from: false, to: true },
    });
    assert.deepEqual(disabled.changes, { state: { from: "ACTIVE", to: "DISABLED" } });
    assert.deepEqual(enabled.changes, { state: { from: "DISABLED", to: "ACTIVE" } });
    assert.deepEqual(creation.changes.comments, { from: null, to: "audit me" });
    assert.deepEqual(creation.changes.allowedIps, { from: null, to: ["127.0.0.1"] });
    assert.ok(deleted);
    // Newest first.
    const times = entries.map((entry) => Date.parse(entry.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );

    // Never the secret, its random part or its hash: not in the answer, not in the table.
    const hash = sha256(secret);
    const rows = await t.app.database.db
      .select()
      .from(apiKeyAudit)
      .where(eq(apiKeyAudit.apiKeyId, apiKey.id));
    assert.equal(rows.length, 5);
    for (const text of [JSON.stringify(entries), JSON.stringify(rows)]) {
      assert.ok(!text.includes(randomPart(secret)));
      assert.ok(!text.includes(hash));
      assert.ok(!/secret|hash/i.test(text), text);
    }

    // The organisation-wide log holds the entries too.
    const all = await t.ok<{ apiKeyAuditLog: AuditEntry[] }>(AUDIT, {});
    assert.deepEqual(
      all.apiKeyAuditLog.filter((entry) => entry.apiKeyId === apiKey.id).map((entry) => entry.id),
      entries.map((entry) => entry.id),
    );
  });
});

describe("lastUsedAt", () => {
  it("is null until the key is used, then set (within the usage flush)", async () => {
    const key = await createApiKey(t);
    const read = async () => (await t.ok<{ apiKey: ApiKeyData }>(GET, { id: key.id })).apiKey.lastUsedAt;
    assert.equal(await read(), null);
    const before = Date.now();
    await t.ok(EVENTS, {}, { as: key.secret });
    const lastUsedAt = await waitFor("lastUsedAt", read, 2_000);
    const at = Date.parse(lastUsedAt);
    assert.ok(at >= before - 1_000 && at <= Date.now(), lastUsedAt);
  });

  it("is not set by a refused call", async () => {
    const key = await createApiKey(t, { allowedIps: ["10.0.0.1"] });
    await t.gql(EVENTS, {}, { as: key.secret });
    await t.app.usage.flush();
    await t.app.usage.flush();
    const read = await t.ok<{ apiKey: ApiKeyData }>(GET, { id: key.id });
    assert.equal(read.apiKey.lastUsedAt, null);
  });
});
