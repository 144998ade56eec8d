import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEvent, createVisitor } from "../support/factories.js";
import { startApp, type TestApp, waitFor } from "../support/harness.js";
import { createWebhook, deliveries, getWebhook, pull, Receiver, updateWebhook } from "./support.js";

// SPEC section 10, failures: non-2xx, timeouts and 3xx are retried on the ladder (shortened here by
// WEBHOOK_RETRY_DELAYS_MS), then the webhook goes to ERROR and stays quiet until a reset, after
// which one ping covers everything since the delivered revision.

const LADDER = [60, 120, 180];
// Long enough for a receiver that pulls before answering, on a busy machine.
const TIMEOUT_MS = 2_000;

describe("webhook failures", () => {
  let t: TestApp;
  let receiver: Receiver;

  before(async () => {
    receiver = await Receiver.start();
    t = await startApp({
      OUTBOUND_ALLOW: receiver.host,
      WEBHOOK_RETRY_DELAYS_MS: LADDER.join(","),
      WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
      WEBHOOK_MIN_INTERVAL_MS: "0",
      WEBHOOK_RECONCILE_MS: "3600000",
    });
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  const webhookState = (eventId: string, id: string, state: "WAIT" | "ERROR") =>
    waitFor(
      `webhook ${id} in ${state}`,
      async () => {
        const webhook = await getWebhook(t, eventId, id);
        return webhook.state === state && webhook.coveredRevision === null && webhook;
      },
      10_000,
    );

  it("retries on the ladder, then goes to ERROR and stays quiet until a reset covers everything", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    let failing = true;
    const pulls: string[][] = [];
    receiver.handler = async (ping) => {
      if (ping.path === "/healthy") return 200;
      if (failing) return 503;
      pulls.push((await pull(t, event.id, ping.query.webhookId ?? "")).map((record) => record.id));
      return 200;
    };
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url("/failing") });
    const healthy = await createWebhook(t, event.id, { url: receiver.url("/healthy") });

    const first = await createVisitor(t, event.id);
    const failed = await webhookState(event.id, webhook.id, "ERROR");
    const attempts = receiver.pings.filter((ping) => ping.path === "/failing");
    assert.equal(attempts.length, LADDER.length + 1, "the first attempt and one per ladder step");
    assert.equal(new Set(attempts.map((ping) => ping.headers["webhook-id"])).size, 1, "retries of one ping");
    for (const [step, delay] of LADDER.entries()) {
      const gap = attempts[step + 1].at - attempts[step].at;
      assert.ok(gap >= delay, `retry ${step + 1} came after ${gap} ms, not before ${delay} ms`);
    }
    assert.equal(failed.errorCount, LADDER.length + 1);
    assert.equal(failed.lastStatus, 503);
    assert.ok(failed.deliveredRevision < first.revision, "nothing was acknowledged");
    const log = await deliveries(t, webhook.id);
    assert.deepEqual(
      log.map((entry) => [entry.attempt, entry.status]),
      [
        [4, 503],
        [3, 503],
        [2, 503],
        [1, 503],
      ],
    );

    // While in ERROR: a write pings the healthy webhook (which got the same signal), never this one.
    const second = await createVisitor(t, event.id);
    await waitFor(
      "the healthy webhook to deliver the write",
      async () => {
        const state = await getWebhook(t, event.id, healthy.webhook.id);
        return state.deliveredRevision >= second.revision && state.coveredRevision === null;
      },
      10_000,
    );
    assert.equal(receiver.pings.filter((ping) => ping.path === "/failing").length, LADDER.length + 1);
    assert.equal((await getWebhook(t, event.id, webhook.id)).state, "ERROR");

    failing = false;
    const reset = await updateWebhook(t, event.id, webhook.id, { state: "WAIT" });
    assert.equal(reset.state, "WAIT");
    assert.equal(reset.errorCount, 0);
    const done = await waitFor(
      "the ping after the reset to be acknowledged",
      async () => {
        const state = await getWebhook(t, event.id, webhook.id);
        return state.deliveredRevision >= second.revision && state.coveredRevision === null && state;
      },
      10_000,
    );
    await receiver.idle();
    assert.equal(done.state, "WAIT");
    assert.equal(
      receiver.pings.filter((ping) => ping.path === "/failing").length,
      LADDER.length + 2,
      "one ping",
    );
    assert.deepEqual(pulls, [[first.id, second.id]], "it covers everything since the delivered revision");
  });

  it("counts a receiver slower than the timeout as a failure", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    receiver.handler = async (_ping, response) => {
      if (receiver.pings.length > 1) return 200;
      // Never answers: the sender's timeout must end the request.
      await new Promise((resolve) => response.once("close", resolve));
      return undefined;
    };
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url() });
    const visitor = await createVisitor(t, event.id);
    await waitFor(
      "the retry to be acknowledged",
      async () => {
        const state = await getWebhook(t, event.id, webhook.id);
        return state.deliveredRevision >= visitor.revision && state;
      },
      10_000,
    );
    const log = await deliveries(t, webhook.id);
    assert.deepEqual(
      log.map((entry) => [entry.attempt, entry.status, entry.error]),
      [
        [2, 200, null],
        [1, null, `timed out after ${TIMEOUT_MS} ms`],
      ],
    );
    assert.ok(log[1].durationMs >= TIMEOUT_MS);
  });

  it("counts a 3xx as a failure and does not follow it", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    receiver.handler = (ping, response) => {
      if (ping.path === "/elsewhere") return 200;
      if (receiver.pings.length > 1) return 200;
      response.writeHead(302, { location: receiver.url("/elsewhere") }).end();
      return undefined;
    };
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url("/moved") });
    const visitor = await createVisitor(t, event.id);
    await waitFor(
      "the retry to be acknowledged",
      async () => {
        const state = await getWebhook(t, event.id, webhook.id);
        return state.deliveredRevision >= visitor.revision && state;
      },
      10_000,
    );
    const log = await deliveries(t, webhook.id);
    assert.deepEqual(
      log.map((entry) => [entry.attempt, entry.status]),
      [
        [2, 200],
        [1, 302],
      ],
    );
    assert.deepEqual(
      receiver.pings.map((ping) => ping.path),
      ["/moved", "/moved"],
      "the redirect was not followed",
    );
  });

  it("counts a refused connection as a failure", async () => {
    const gone = await Receiver.start();
    await gone.close();
    const app = await startApp({
      OUTBOUND_ALLOW: gone.host,
      WEBHOOK_RETRY_DELAYS_MS: "20",
      WEBHOOK_RECONCILE_MS: "3600000",
    });
    try {
      const own = await createEvent(app);
      const { webhook } = await createWebhook(app, own.id, { url: gone.url() });
      await createVisitor(app, own.id);
      const failed = await waitFor(
        "ERROR",
        async () => {
          const state = await getWebhook(app, own.id, webhook.id);
          return state.state === "ERROR" && state;
        },
        10_000,
      );
      assert.match(failed.lastError ?? "", /connection refused/);
      assert.equal(failed.lastStatus, null);
    } finally {
      await app.close();
    }
  });
});

describe("webhook delivery log", () => {
  it("keeps the last 100 attempts of a webhook", async () => {
    const receiver = await Receiver.start();
    receiver.handler = () => 500;
    const t = await startApp({
      OUTBOUND_ALLOW: receiver.host,
      WEBHOOK_RETRY_DELAYS_MS: Array.from({ length: 104 }, () => "1").join(","),
      WEBHOOK_RECONCILE_MS: "3600000",
    });
    try {
      const event = await createEvent(t);
      const { webhook } = await createWebhook(t, event.id, { url: receiver.url() });
      await createVisitor(t, event.id);
      await waitFor(
        "ERROR after 105 attempts",
        async () => (await getWebhook(t, event.id, webhook.id)).state === "ERROR",
        // 105 real attempts: seconds on an idle machine, minutes on a crowded one.
        180_000,
      );
      assert.equal(receiver.pings.length, 105);
      const log = await deliveries(t, webhook.id);
      assert.equal(log.length, 100);
      assert.equal(log[0].attempt, 105);
      assert.equal(must(log.at(-1), "log.at(-1)").attempt, 6);
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});
