import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEvent, createVisitor } from "../support/factories.js";
import {
  type SecondInstance,
  startApp,
  startSecondInstance,
  type TestApp,
  waitFor,
} from "../support/harness.js";
import { createWebhook, getWebhook, pull, Receiver } from "./support.js";

// SPEC section 10 across instances: two replicas of one deployment (same PostgreSQL database, same
// Redis prefix), both sending pings, under writes to both. Each change window is pinged once, and
// never by both instances at the same time.

const skip =
  !process.env.DATABASE_URL || !process.env.REDIS_URL
    ? "needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (two PGlite instances cannot share one database)"
    : false;

describe("webhooks on two instances", { skip }, () => {
  let a: TestApp;
  let b: SecondInstance;
  let receiver: Receiver;

  before(async () => {
    receiver = await Receiver.start();
    a = await startApp({
      OUTBOUND_ALLOW: receiver.host,
      WEBHOOK_MIN_INTERVAL_MS: "100",
      WEBHOOK_RECONCILE_MS: "500",
    });
    b = await startSecondInstance(a);
  });
  after(async () => {
    await a?.close();
    await receiver?.close();
  });

  it("pings each change window once, one at a time, while both instances take writes", async () => {
    const event = await createEvent(a);
    const { webhook } = await createWebhook(a, event.id, { url: receiver.url() });
    const pulls: { messageId: string; ids: string[] }[] = [];
    receiver.handler = async (ping) => {
      const ids = (await pull(b, event.id, ping.query.webhookId ?? "")).map((record) => record.id);
      pulls.push({ messageId: String(ping.headers["webhook-id"]), ids });
      return 200;
    };

    const writer = async (instance: TestApp | SecondInstance) => {
      const ids: { id: string; revision: number }[] = [];
      for (let i = 0; i < 15; i++) ids.push(await createVisitor(instance as TestApp, event.id));
      return ids;
    };
    const written = (await Promise.all([writer(a), writer(b)])).flat();
    const last = Math.max(...written.map((visitor) => visitor.revision));
    await waitFor(
      "everything to be delivered",
      async () => {
        const state = await getWebhook(a, event.id, webhook.id);
        return state.coveredRevision === null && state.deliveredRevision >= last;
      },
      30_000,
    );
    await receiver.idle();

    assert.equal(receiver.maxInFlight, 1, "never two pings of the webhook at once");
    const messageIds = pulls.map((entry) => entry.messageId);
    assert.equal(new Set(messageIds).size, messageIds.length, "each change window pinged once");
    const pulled = pulls.flatMap((entry) => entry.ids);
    assert.equal(pulled.length, written.length, "every write pulled exactly once");
    assert.deepEqual(new Set(pulled), new Set(written.map((visitor) => visitor.id)));
    assert.ok(pulls.length < written.length, `${pulls.length} pings for ${written.length} writes`);
  });
});
