import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEvent, createPartner, createVisitor } from "../support/factories.js";
import { startApp, type TestApp, waitFor } from "../support/harness.js";
import {
  createWebhook,
  getWebhook,
  type Ping,
  pull,
  Receiver,
  verifyStandardWebhook,
  type WebhookRef,
} from "./support.js";

// SPEC section 10, the happy paths: a ping per change window (never per write), pulled with
// webhookId before it is answered, signed as Standard Webhooks says. The reconcile is set to an
// hour: everything here must come from the signal after each commit (or a retry/interval timer).

const MIN_INTERVAL_MS = 2_000;

describe("webhook delivery", () => {
  let t: TestApp;
  let receiver: Receiver;

  before(async () => {
    receiver = await Receiver.start();
    t = await startApp({
      OUTBOUND_ALLOW: receiver.host,
      WEBHOOK_RECONCILE_MS: "3600000",
      WEBHOOK_MIN_INTERVAL_MS: String(MIN_INTERVAL_MS),
    });
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Until the webhook has no ping in flight and has delivered everything up to `revision`. */
  const settled = (eventId: string, id: string, revision: number) =>
    waitFor(
      `webhook ${id} to deliver revision ${revision}`,
      async () => {
        const webhook = await getWebhook(t, eventId, id);
        return webhook.coveredRevision === null && webhook.deliveredRevision >= revision && webhook;
      },
      10_000,
    );

  /** A receiver that pulls what each ping covers before answering 200, as integrations should. */
  function pullingReceiver(eventId: string, kind: "visitors" | "partners" = "visitors") {
    const pulls: { ping: Ping; records: { id: string; revision: number }[] }[] = [];
    receiver.handler = async (ping) => {
      pulls.push({ ping, records: await pull(t, eventId, ping.query.webhookId ?? "", kind) });
      return 200;
    };
    return pulls;
  }

  it("pings GET <url>?expoId=&webhookId= on its own query string, without a body, signed", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    const pulls = pullingReceiver(event.id);
    const { webhook, secret } = await createWebhook(t, event.id, { url: `${receiver.url("/in")}?token=abc` });
    assert.match(webhook.id, /^[a-z0-9]{13}$/);
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(webhook.state, "WAIT");

    const visitor = await createVisitor(t, event.id);
    const [ping] = await receiver.waitForPings(1);
    assert.equal(ping.method, "GET");
    assert.equal(ping.path, "/in");
    assert.deepEqual(ping.query, { token: "abc", expoId: event.id, webhookId: webhook.id });
    assert.equal(ping.body, "");
    assert.equal(ping.headers["content-length"], undefined);
    assert.ok(verifyStandardWebhook(secret, ping.headers, ""), "the signature verifies");
    assert.equal(
      verifyStandardWebhook(`whsec_${Buffer.alloc(32).toString("base64")}`, ping.headers, ""),
      false,
    );
    assert.equal(verifyStandardWebhook(secret, ping.headers, "a body"), false, "the empty body is signed");

    const done = await settled(event.id, webhook.id, visitor.revision);
    assert.equal(done.lastStatus, 200);
    assert.equal(done.errorCount, 0);
    assert.deepEqual(
      pulls.map((entry) => entry.records.map((record) => record.id)),
      [[visitor.id]],
    );
    const { data } = await t.gql<{ visitors: { edges: unknown[] } }>(
      "query($e: ID!, $w: ID!) { visitors(eventId: $e, filter: { webhookId: $w }) { edges { node { id } } } }",
      { e: event.id, w: webhook.id },
    );
    assert.deepEqual(data?.visitors.edges, [], "after the ack, nothing is left to pull");
  });

  it("starts at the latest revision: changes before its creation are not reported", async () => {
    const event = await createEvent(t);
    await createVisitor(t, event.id);
    receiver.pings.length = 0;
    const pulls = pullingReceiver(event.id);
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url() });
    assert.deepEqual(await pull(t, event.id, webhook.id), []);
    const later = await createVisitor(t, event.id);
    await settled(event.id, webhook.id, later.revision);
    assert.deepEqual(
      pulls.flatMap((entry) => entry.records.map((record) => record.id)),
      [later.id],
    );
  });

  it("turns 50 visitors created in quick succession into a few pings, each change pulled exactly once", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    const pulls = pullingReceiver(event.id);
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url() });

    const started = Date.now();
    const created = [];
    for (let i = 0; i < 50; i++) created.push(await createVisitor(t, event.id));
    const burstMs = Date.now() - started;
    const last = must(created.at(-1), "created.at(-1)").revision;
    await settled(event.id, webhook.id, last);
    await receiver.idle();

    // The first change goes at once; later ones join a ping at most every WEBHOOK_MIN_INTERVAL_MS.
    // On an idle machine the burst takes well under a second: two pings.
    const bound = 2 + Math.floor(burstMs / MIN_INTERVAL_MS);
    assert.ok(
      pulls.length >= 1 && pulls.length <= bound,
      `${pulls.length} pings for 50 writes in ${burstMs} ms`,
    );
    const pulled = pulls.flatMap((entry) => entry.records.map((record) => record.id));
    assert.equal(pulled.length, 50, "each change pulled once across the pings");
    assert.deepEqual(new Set(pulled), new Set(created.map((visitor) => visitor.id)));
    const messageIds = receiver.pings.map((ping) => ping.headers["webhook-id"]);
    assert.equal(new Set(messageIds).size, messageIds.length, "every ping is a new change window");
    assert.equal(receiver.maxInFlight, 1, "one ping at a time");
  });

  it("delivers writes made while a ping is unacknowledged with exactly one more ping after the ack", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url() });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pulls: string[][] = [];
    receiver.handler = async (ping) => {
      if (receiver.pings.length === 1) await held;
      pulls.push((await pull(t, event.id, ping.query.webhookId ?? "")).map((record) => record.id));
      return 204;
    };

    const first = await createVisitor(t, event.id);
    await receiver.waitForPings(1);
    const inFlight = await getWebhook(t, event.id, webhook.id);
    assert.ok(inFlight.coveredRevision !== null && inFlight.coveredRevision >= first.revision);
    const meanwhile: WebhookRef[] = [];
    const later = [];
    for (let i = 0; i < 3; i++) later.push(await createVisitor(t, event.id));
    meanwhile.push(await getWebhook(t, event.id, webhook.id));
    assert.equal(receiver.pings.length, 1, "no second ping while the first is unanswered");
    release();

    await settled(event.id, webhook.id, must(later.at(-1), "later.at(-1)").revision);
    await receiver.idle();
    assert.equal(receiver.pings.length, 2, "exactly one more ping");
    assert.deepEqual(pulls, [[first.id], later.map((visitor) => visitor.id)]);
    assert.equal(
      meanwhile[0].coveredRevision,
      inFlight.coveredRevision,
      "the ping in flight kept its window",
    );
  });

  it("pings a PARTNER webhook for partner changes only", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    const pulls = pullingReceiver(event.id, "partners");
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url(), type: "PARTNER" });
    const visitor = await createVisitor(t, event.id);
    const partner = await createPartner(t, event.id);
    await settled(event.id, webhook.id, partner.revision);
    assert.ok(visitor.revision < partner.revision);
    assert.deepEqual(
      pulls.map((entry) => entry.records.map((record) => record.id)),
      [[partner.id]],
    );
    const wrongKind = await t.gql(
      "query($e: ID!, $w: ID!) { visitors(eventId: $e, filter: { webhookId: $w }) { edges { node { id } } } }",
      { e: event.id, w: webhook.id },
    );
    assert.equal(
      wrongKind.errors?.[0]?.extensions?.code,
      "NOT_FOUND",
      "a PARTNER webhook does not list visitors",
    );
  });
});
