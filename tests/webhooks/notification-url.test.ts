import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApiKey, createEvent, createVisitor, failure, userWithRoles } from "../support/factories.js";
import { type As, startApp, type TestApp, waitFor } from "../support/harness.js";
import { Receiver, verifyStandardWebhook } from "./support.js";

// SPEC section 10, Visit v1's notification URL: one GET per change that leaves a visitor REGISTERED,
// with `event` and `visitor`, in revision order, signed and guarded like webhooks; ADMIN only.

const SET = `mutation($input: UpdateOrganisationInput!) { updateOrganisation(input: $input) {
  organisation { id notificationUrl notification { url state errorCount deliveredRevision coveredRevision lastStatus lastError } }
  notificationSecret } }`;
const STATE =
  "{ organisation { notification { state errorCount deliveredRevision coveredRevision lastStatus } } }";
const UPDATE_VISITOR =
  "mutation($e: ID!, $id: ID!, $input: UpdateVisitorInput!) { updateVisitor(eventId: $e, id: $id, input: $input) { id revision } }";

type Notification = {
  state: string;
  errorCount: number;
  deliveredRevision: number;
  coveredRevision: number | null;
};
type Updated = {
  updateOrganisation: {
    organisation: { notificationUrl: string | null; notification: Notification | null };
    notificationSecret: string | null;
  };
};

describe("notification URL", () => {
  let t: TestApp;
  let receiver: Receiver;

  before(async () => {
    receiver = await Receiver.start();
    t = await startApp({
      OUTBOUND_ALLOW: receiver.host,
      WEBHOOK_RETRY_DELAYS_MS: "30,30",
      WEBHOOK_RECONCILE_MS: "3600000",
    });
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  const setUrl = (input: Record<string, unknown>, as?: As) => t.ok<Updated>(SET, { input }, { as });
  const notification = async () =>
    (await t.ok<{ organisation: { notification: Notification } }>(STATE)).organisation.notification;
  const pingOf = (visitorId: string) =>
    receiver.until(
      () => receiver.pings.some((ping) => ping.query.visitor === visitorId),
      `a ping for ${visitorId}`,
    );

  it("is ADMIN's to set; its signing secret is shown once", async () => {
    const data = await userWithRoles(t, ["DATA_MANAGEMENT"]);
    const key = await createApiKey(t, { canWrite: true });
    for (const as of [data, key.secret]) {
      const refused = failure(await t.gql(SET, { input: { notificationUrl: receiver.url() } }, { as }));
      assert.equal(refused.status, 403);
      assert.equal(refused.reason, "MISSING_ROLE");
    }
    const first = await setUrl({ notificationUrl: receiver.url("/first") });
    assert.match(first.updateOrganisation.notificationSecret ?? "", /^whsec_/);
    assert.equal(first.updateOrganisation.organisation.notificationUrl, receiver.url("/first"));
    assert.equal(first.updateOrganisation.organisation.notification?.state, "WAIT");
    const changed = await setUrl({ notificationUrl: receiver.url("/notify") });
    assert.equal(changed.updateOrganisation.notificationSecret, null, "a changed URL keeps its secret");
    const audit = await t.ok<{
      notificationAuditLog: { action: string; changes: Record<string, unknown> }[];
    }>("{ notificationAuditLog { action changes } }");
    assert.deepEqual(
      audit.notificationAuditLog.map((entry) => entry.action),
      ["UPDATED", "CREATED"],
    );
  });

  it("refuses a private or loopback URL at save with 422 naming notificationUrl", async () => {
    for (const url of ["http://127.0.0.1:1/", "http://10.0.0.8/", "gopher://x/"]) {
      const refused = failure(await t.gql(SET, { input: { notificationUrl: url } }));
      assert.equal(refused.status, 422, url);
      assert.deepEqual(refused.fields, ["notificationUrl"], url);
    }
  });

  it("GETs once per REGISTERED create or update, with event and visitor, in revision order; none for other states", async () => {
    const { updateOrganisation } = await setUrl({ notificationUrl: null });
    assert.equal(updateOrganisation.organisation.notificationUrl, null);
    const set = await setUrl({ notificationUrl: `${receiver.url("/notify")}?source=visit` });
    const secret = must(
      set.updateOrganisation.notificationSecret,
      "set.updateOrganisation.notificationSecret",
    );
    assert.ok(secret, "a new URL after removal gets a new secret");
    receiver.pings.length = 0;
    receiver.handler = () => 200;
    const [eventA, eventB] = [await createEvent(t), await createEvent(t)];

    const a = await createVisitor(t, eventA.id, { registrationState: "REGISTERED" });
    const b = await createVisitor(t, eventA.id, { registrationState: "INVITED" });
    const c = await createVisitor(t, eventB.id, { registrationState: "REGISTERED" });
    await t.ok(UPDATE_VISITOR, { e: eventA.id, id: b.id, input: { registrationState: "REGISTERED" } });
    // A visitor changed again before its notification went out is notified once, for its latest
    // state (the feed keeps no history): so each next change waits for the previous notification.
    await pingOf(a.id);
    await t.ok(UPDATE_VISITOR, { e: eventA.id, id: a.id, input: { reference: "changed, still registered" } });
    await pingOf(c.id);
    await t.ok(UPDATE_VISITOR, { e: eventB.id, id: c.id, input: { registrationState: "CANCELLED" } });
    await receiver.until(
      () => receiver.pings.filter((ping) => ping.query.visitor === a.id).length === 2,
      "the second notification of a",
    );
    await t.ok("mutation($e: ID!, $id: ID!) { deleteVisitor(eventId: $e, id: $id) { id } }", {
      e: eventA.id,
      id: a.id,
    });
    await createVisitor(t, eventA.id, { registrationState: "PENDING_CONFIRMATION" });
    // Notifications go in revision order: once the last write's has come, every earlier one has.
    const d = await createVisitor(t, eventA.id, { registrationState: "REGISTERED" });
    await pingOf(d.id);
    await receiver.idle();

    assert.deepEqual(
      receiver.pings.map((ping) => [ping.query.event, ping.query.visitor]),
      [
        [eventA.id, a.id],
        [eventB.id, c.id],
        [eventA.id, b.id],
        [eventA.id, a.id],
        [eventA.id, d.id],
      ],
    );
    for (const ping of receiver.pings) {
      assert.equal(ping.method, "GET");
      assert.equal(ping.path, "/notify");
      assert.equal(ping.query.source, "visit", "added to the URL's own query string");
      assert.ok(verifyStandardWebhook(secret, ping.headers, ""), "signed with the notification secret");
    }
    assert.equal(new Set(receiver.pings.map((ping) => ping.headers["webhook-id"])).size, 5);
    await waitFor(
      "the last notification to be acknowledged",
      async () => {
        const state = await notification();
        return state.coveredRevision === null && state.deliveredRevision >= d.revision;
      },
      10_000,
    );
  });

  it("retries, goes to ERROR, and after a reset resumes with the change that failed", async () => {
    await setUrl({ notificationUrl: receiver.url("/notify") });
    receiver.pings.length = 0;
    let failing = true;
    receiver.handler = () => (failing ? 500 : 200);
    const event = await createEvent(t);
    const visitor = await createVisitor(t, event.id, { registrationState: "REGISTERED" });
    const failed = await waitFor(
      "ERROR",
      async () => {
        const state = await notification();
        return state.state === "ERROR" && state;
      },
      10_000,
    );
    assert.equal(failed.errorCount, 3);
    assert.equal(receiver.pings.length, 3);
    const log = await t.ok<{ notificationDeliveries: { attempt: number; status: number }[] }>(
      "{ notificationDeliveries(first: 3) { attempt status } }",
    );
    assert.deepEqual(
      log.notificationDeliveries.map((entry) => [entry.attempt, entry.status]),
      [
        [3, 500],
        [2, 500],
        [1, 500],
      ],
    );

    failing = false;
    await setUrl({ notificationState: "WAIT" });
    await receiver.waitForPings(4);
    await waitFor(
      "delivered",
      async () => (await notification()).deliveredRevision >= visitor.revision,
      10_000,
    );
    assert.equal(receiver.pings[3].query.visitor, visitor.id);
    assert.equal(receiver.pings.length, 4);
  });
});
