import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createApiKey,
  createEvent,
  createVisitor,
  failure,
  otherOrganisation,
  userWithRoles,
} from "../support/factories.js";
import { startApp, type TestApp, waitFor } from "../support/harness.js";
import {
  createWebhook,
  deliveries,
  getWebhook,
  pull,
  Receiver,
  updateWebhook,
  WEBHOOK_FIELDS,
} from "./support.js";

// SPEC section 10, managing webhooks: who may (API keys in scope, read-only too; DATA_MANAGEMENT
// users), tenant and event isolation, the audit trail, and the outbound guard at save and at delivery.

const CREATE = `mutation($eventId: ID!, $input: CreateWebhookInput!) { createWebhook(eventId: $eventId, input: $input) { webhook { ${WEBHOOK_FIELDS} } secret } }`;
const UPDATE = `mutation($eventId: ID!, $id: ID!, $input: UpdateWebhookInput!) { updateWebhook(eventId: $eventId, id: $id, input: $input) { id url enabled state } }`;
const DELETE = "mutation($eventId: ID!, $id: ID!) { deleteWebhook(eventId: $eventId, id: $id) { id } }";
const LIST = "query($eventId: ID!) { webhooks(eventId: $eventId) { id url type } }";
const PULL =
  "query($eventId: ID!, $w: ID!) { visitors(eventId: $eventId, filter: { webhookId: $w }) { edges { node { id } } } }";
const AUDIT =
  "query($eventId: ID, $webhookId: ID) { webhookAuditLog(eventId: $eventId, webhookId: $webhookId) { webhookId eventId action userId apiKeyId changes } }";

describe("webhook management", () => {
  let t: TestApp;
  let receiver: Receiver;

  before(async () => {
    receiver = await Receiver.start();
    t = await startApp({ OUTBOUND_ALLOW: receiver.host, WEBHOOK_RECONCILE_MS: "3600000" });
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("creates, lists, updates and deletes; the secret is shown once and is no field of a webhook", async () => {
    const event = await createEvent(t);
    const { webhook, secret } = await createWebhook(t, event.id, { url: receiver.url("/a") });
    assert.ok(secret.startsWith("whsec_"));
    assert.equal(webhook.eventId, event.id);
    assert.equal(webhook.type, "VISITOR");
    assert.equal(webhook.enabled, true);
    assert.equal(webhook.url, receiver.url("/a"));

    const listed = await t.ok<{ webhooks: { id: string }[] }>(LIST, { eventId: event.id });
    assert.deepEqual(
      listed.webhooks.map((entry) => entry.id),
      [webhook.id],
    );
    const noSecret = await t.gql("query($e: ID!) { webhooks(eventId: $e) { id secret } }", { e: event.id });
    assert.equal(failure(noSecret).code, "GRAPHQL_VALIDATION_FAILED");

    const updated = await updateWebhook(t, event.id, webhook.id, { url: receiver.url("/b"), enabled: false });
    assert.equal(updated.url, receiver.url("/b"));
    assert.equal(updated.enabled, false);

    await t.ok(DELETE, { eventId: event.id, id: webhook.id });
    assert.deepEqual((await t.ok<{ webhooks: unknown[] }>(LIST, { eventId: event.id })).webhooks, []);
    const gone = await t.gql(UPDATE, { eventId: event.id, id: webhook.id, input: { enabled: true } });
    assert.equal(failure(gone).code, "NOT_FOUND");
  });

  it("lets a read-only API key manage the webhooks of the events in its scope, and no others", async () => {
    const own = await createEvent(t);
    const other = await createEvent(t);
    const key = await createApiKey(t, { eventIds: [own.id], canWrite: false });
    const { webhook } = await createWebhook(t, own.id, { url: receiver.url() }, key.secret);
    await updateWebhook(t, own.id, webhook.id, { enabled: false }, key.secret);
    assert.equal(
      (await t.ok<{ webhooks: unknown[] }>(LIST, { eventId: own.id }, { as: key.secret })).webhooks.length,
      1,
    );

    const outOfScope = await t.gql(
      CREATE,
      { eventId: other.id, input: { type: "VISITOR", url: receiver.url() } },
      { as: key.secret },
    );
    assert.equal(failure(outOfScope).status, 403);
    assert.equal(failure(outOfScope).reason, "EVENT_NOT_ALLOWED");

    // Another event's webhook through this event: as if it did not exist, for the key and the admin.
    const othersHook = await createWebhook(t, other.id, { url: receiver.url() });
    for (const [query, variables] of [
      [UPDATE, { eventId: own.id, id: othersHook.webhook.id, input: { enabled: false } }],
      [DELETE, { eventId: own.id, id: othersHook.webhook.id }],
      [PULL, { eventId: own.id, w: othersHook.webhook.id }],
    ] as const) {
      assert.equal(failure(await t.gql(query, variables, { as: key.secret })).code, "NOT_FOUND", query);
      assert.equal(failure(await t.gql(query, variables)).code, "NOT_FOUND", query);
    }
    const deliveriesOfOther = await t.gql(
      "query($w: ID!) { webhookDeliveries(webhookId: $w) { id } }",
      {
        w: othersHook.webhook.id,
      },
      { as: key.secret },
    );
    assert.equal(failure(deliveriesOfOther).reason, "EVENT_NOT_ALLOWED");

    await t.ok(DELETE, { eventId: own.id, id: webhook.id }, { as: key.secret });
  });

  it("needs DATA_MANAGEMENT (or ADMIN) for users", async () => {
    const event = await createEvent(t);
    const accounts = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
    const data = await userWithRoles(t, ["DATA_MANAGEMENT"]);
    const refused = await t.gql(
      CREATE,
      { eventId: event.id, input: { type: "VISITOR", url: receiver.url() } },
      {
        as: accounts,
      },
    );
    assert.equal(failure(refused).status, 403);
    assert.equal(failure(refused).reason, "MISSING_ROLE");
    await createWebhook(t, event.id, { url: receiver.url() }, data);
  });

  it("keeps another organisation's webhooks out of reach", async () => {
    const event = await createEvent(t);
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url() });
    const stranger = await otherOrganisation(t);
    const strangerEvent = await createEvent(t, stranger);
    for (const [query, variables] of [
      [LIST, { eventId: event.id }],
      [UPDATE, { eventId: event.id, id: webhook.id, input: { enabled: false } }],
      [UPDATE, { eventId: strangerEvent.id, id: webhook.id, input: { enabled: false } }],
      [PULL, { eventId: strangerEvent.id, w: webhook.id }],
      ["query($w: ID!) { webhookDeliveries(webhookId: $w) { id } }", { w: webhook.id }],
    ] as const) {
      assert.equal(failure(await t.gql(query, variables, { as: stranger })).code, "NOT_FOUND", query);
    }
  });

  it("records every change in the audit trail, with who made it", async () => {
    const event = await createEvent(t);
    const key = await createApiKey(t, { eventIds: [event.id] });
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url("/one") });
    await updateWebhook(t, event.id, webhook.id, { url: receiver.url("/two") }, key.secret);
    await updateWebhook(t, event.id, webhook.id, { enabled: false });
    await updateWebhook(t, event.id, webhook.id, { enabled: true });
    await updateWebhook(t, event.id, webhook.id, { state: "WAIT" });
    await t.ok(DELETE, { eventId: event.id, id: webhook.id }, { as: key.secret });

    type Entry = {
      action: string;
      userId: string | null;
      apiKeyId: string | null;
      changes: Record<string, unknown>;
    };
    const { webhookAuditLog } = await t.ok<{ webhookAuditLog: Entry[] }>(AUDIT, { webhookId: webhook.id });
    assert.deepEqual(webhookAuditLog.map((entry) => entry.action).reverse(), [
      "CREATED",
      "UPDATED",
      "DISABLED",
      "ENABLED",
      "RESET",
      "DELETED",
    ]);
    const [deleted, , , , urlChange, created] = webhookAuditLog;
    assert.equal(deleted.apiKeyId, key.id);
    assert.equal(urlChange.apiKeyId, key.id);
    assert.deepEqual(urlChange.changes, { url: { from: receiver.url("/one"), to: receiver.url("/two") } });
    assert.ok(created.userId);
    assert.equal(JSON.stringify(webhookAuditLog).includes("whsec_"), false, "never the secret");

    const seenByKey = await t.ok<{ webhookAuditLog: Entry[] }>(AUDIT, {}, { as: key.secret });
    assert.ok(seenByKey.webhookAuditLog.length >= 6);
    const otherEvent = await createEvent(t);
    await createWebhook(t, otherEvent.id, { url: receiver.url() });
    const stillScoped = await t.ok<{ webhookAuditLog: { eventId: string }[] }>(AUDIT, {}, { as: key.secret });
    assert.ok(stillScoped.webhookAuditLog.every((entry) => entry.eventId === event.id));
  });

  it("refuses private, loopback and non-http URLs at save with 422 naming url", async () => {
    const event = await createEvent(t);
    const cases = [
      "http://127.0.0.1:9/hook",
      `http://localhost:${receiver.port + 1}/`,
      "http://10.1.2.3/hook",
      "http://169.254.169.254/latest",
      "http://[::1]/",
      "ftp://example.com/",
      "not a url",
      `http://user:pass@${receiver.host}/`,
    ];
    for (const url of cases) {
      const result = failure(await t.gql(CREATE, { eventId: event.id, input: { type: "VISITOR", url } }));
      assert.equal(result.status, 422, url);
      assert.deepEqual(result.fields, ["url"], url);
    }
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url() });
    const update = failure(
      await t.gql(UPDATE, { eventId: event.id, id: webhook.id, input: { url: "http://192.168.0.1/" } }),
    );
    assert.equal(update.status, 422);
    assert.deepEqual(update.fields, ["url"]);
    const refused = await t.gql(CREATE, {
      eventId: event.id,
      input: { type: "VISITOR", url: "http://10.0.0.1/" },
    });
    assert.match(refused.errors?.[0]?.message ?? "", /url/);
  });

  it("does not ping a disabled webhook; enabling it again delivers what changed meanwhile", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    const pulls: string[][] = [];
    receiver.handler = async (ping) => {
      pulls.push((await pull(t, event.id, ping.query.webhookId ?? "")).map((record) => record.id));
      return 200;
    };
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url(), enabled: false });
    const control = await createWebhook(t, event.id, { url: receiver.url("/control") });
    const visitor = await createVisitor(t, event.id);
    await waitFor(
      "the enabled webhook to deliver",
      async () => {
        const state = await getWebhook(t, event.id, control.webhook.id);
        return state.deliveredRevision >= visitor.revision && state.coveredRevision === null;
      },
      10_000,
    );
    assert.deepEqual(
      receiver.pings.map((ping) => ping.query.webhookId),
      [control.webhook.id],
    );
    await updateWebhook(t, event.id, webhook.id, { enabled: true });
    await waitFor(
      "the re-enabled webhook to deliver",
      async () => {
        const state = await getWebhook(t, event.id, webhook.id);
        return state.deliveredRevision >= visitor.revision && state.coveredRevision === null;
      },
      10_000,
    );
    assert.deepEqual(pulls, [[visitor.id], [visitor.id]]);
  });

  it("allows at most 25 webhooks per event", async () => {
    const event = await createEvent(t);
    for (let i = 0; i < 25; i++) await createWebhook(t, event.id, { url: receiver.url(`/${i}`) });
    const refused = await t.gql(CREATE, {
      eventId: event.id,
      input: { type: "VISITOR", url: receiver.url() },
    });
    assert.equal(failure(refused).code, "CONFLICT");
  });
});

describe("webhook outbound guard at delivery", () => {
  it("refuses a name that resolves to a private address when the ping is sent", async () => {
    const receiver = await Receiver.start();
    let lookups = 0;
    // Public when the URL is saved, loopback afterwards: DNS rebinding. The receiver listens on that
    // loopback address, and the allow list does not name the host.
    const resolveHost = async () => {
      lookups++;
      return [{ address: lookups === 1 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
    };
    const t = await startApp(
      { WEBHOOK_RETRY_DELAYS_MS: "20", WEBHOOK_RECONCILE_MS: "3600000" },
      { resolveHost },
    );
    try {
      const event = await createEvent(t);
      const { webhook } = await createWebhook(t, event.id, {
        url: `http://hooks.example.test:${receiver.port}/`,
      });
      assert.equal(lookups, 1, "resolved and checked at save");
      await createVisitor(t, event.id);
      const failed = await waitFor(
        "ERROR",
        async () => {
          const state = await getWebhook(t, event.id, webhook.id);
          return state.state === "ERROR" && state;
        },
        10_000,
      );
      assert.equal(failed.lastError, "refused: 127.0.0.1 is a loopback address");
      const log = await deliveries(t, webhook.id);
      assert.equal(log.length, 2);
      assert.ok(log.every((entry) => entry.status === null && /refused/.test(entry.error ?? "")));
      assert.equal(receiver.pings.length, 0, "no request reached the private address");
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});
