import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  basicAuth,
  createApiKey,
  createEvent,
  createPartner,
  createVisitor,
  otherOrganisation,
} from "../support/factories.js";
import { type As, startApp, type TestApp, waitFor } from "../support/harness.js";
import { createWebhook, getWebhook, type Ping, Receiver } from "../webhooks/support.js";
import { assertXmlMatchesJson, type RestResponse, rest, restOk } from "./support.js";

// SPEC sections 9 and 10 on REST: the v2 webhook routes (an API key manages the webhooks of its
// events, read-only too) and the pull by `webhookId` on the v1 JSON/XML and v2 lists.

type Json = Record<string, unknown>;
type Problem = { status: number; errorCode: string; reason?: string; errors: { field: string }[] };

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

const v2 = (method: string, path: string, body?: unknown, as?: As) =>
  rest(t, method, `/create/v2${path}`, { body: body === undefined ? undefined : JSON.stringify(body), as });
const json = (response: RestResponse): Json => JSON.parse(response.text) as Json;

function expectProblem(response: RestResponse, status: number, errorCode: string): Problem {
  assert.equal(response.status, status, response.text);
  if (response.headers.get("content-type")?.startsWith("application/xml")) {
    assert.match(response.text, new RegExp(`<error-code>${errorCode}</error-code>`));
    return { status, errorCode, errors: [] };
  }
  assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
  const problem = JSON.parse(response.text) as Problem;
  assert.equal(problem.errorCode, errorCode, response.text);
  return problem;
}

const WEBHOOK_KEYS = [
  "id",
  "eventId",
  "type",
  "url",
  "enabled",
  "state",
  "errorCount",
  "deliveredRevision",
  "createdAt",
  "updatedAt",
];

describe("Visit Create v2 webhook routes", () => {
  it("let a read-only API key create, list, get, update and delete its expo's webhooks; the secret is shown once", async () => {
    const event = await createEvent(t);
    const key = await createApiKey(t, { eventIds: [event.id], canWrite: false });
    const as = basicAuth(key.secret);

    const created = await v2(
      "POST",
      `/webhooks/${event.id}`,
      { type: "visitor", url: receiver.url("/a") },
      as,
    );
    assert.equal(created.status, 201, created.text);
    const webhook = json(created);
    assert.deepEqual(Object.keys(webhook), [...WEBHOOK_KEYS, "secret"]);
    assert.match(webhook.id as string, /^[a-z0-9]{13}$/);
    assert.equal(created.headers.get("location"), `/create/v2/webhooks/${event.id}/${webhook.id}`);
    assert.equal(webhook.eventId, event.id);
    assert.equal(webhook.type, "visitor");
    assert.equal(webhook.url, receiver.url("/a"));
    assert.equal(webhook.enabled, true);
    assert.equal(webhook.state, "wait");
    assert.match(webhook.secret as string, /^whsec_/);
    const { secret: _secret, ...stored } = webhook;

    const listed = await restOk(t, "GET", `/create/v2/webhooks/${event.id}`, 200, { as });
    assert.deepEqual(JSON.parse(listed.text), [stored]);
    const one = await restOk(t, "GET", `/create/v2/webhooks/${event.id}/${webhook.id}`, 200, { as });
    assert.deepEqual(json(one), stored, "no secret after creation");

    const updated = await v2(
      "PUT",
      `/webhooks/${event.id}/${webhook.id}`,
      { url: receiver.url("/b"), enabled: false },
      as,
    );
    assert.equal(updated.status, 200, updated.text);
    assert.equal(json(updated).url, receiver.url("/b"));
    assert.equal(json(updated).enabled, false);
    assert.equal(json(updated).type, "visitor", "fields left out keep their value");
    const reset = await v2("PUT", `/webhooks/${event.id}/${webhook.id}`, { state: "WAIT" }, as);
    assert.equal(json(reset).state, "wait", "upper case accepted on input");
    assert.equal((await getWebhook(t, event.id, webhook.id as string)).url, receiver.url("/b"));

    const deleted = await v2("DELETE", `/webhooks/${event.id}/${webhook.id}`, undefined, as);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, "");
    expectProblem(await v2("GET", `/webhooks/${event.id}/${webhook.id}`, undefined, as), 404, "NOT_FOUND");
    assert.deepEqual(JSON.parse((await v2("GET", `/webhooks/${event.id}`, undefined, as)).text), []);
  });

  it("answer 404 for another expo's or organisation's webhook, 403 for an expo outside the key's events", async () => {
    const own = await createEvent(t);
    const other = await createEvent(t);
    const key = basicAuth((await createApiKey(t, { eventIds: [own.id], canWrite: false })).secret);
    const others = await createWebhook(t, other.id, { url: receiver.url(), enabled: false });
    const path = `/webhooks/${own.id}/${others.webhook.id}`;
    for (const as of [key, undefined]) {
      expectProblem(await v2("GET", path, undefined, as), 404, "NOT_FOUND");
      expectProblem(await v2("PUT", path, { enabled: true }, as), 404, "NOT_FOUND");
      expectProblem(await v2("DELETE", path, undefined, as), 404, "NOT_FOUND");
    }
    assert.equal((await getWebhook(t, other.id, others.webhook.id)).enabled, false, "left unchanged");

    // SPEC section 3: a valid key used outside its events is refused with 403 EVENT_NOT_ALLOWED.
    for (const [method, route, body] of [
      ["GET", `/webhooks/${other.id}`, undefined],
      ["POST", `/webhooks/${other.id}`, { type: "visitor", url: receiver.url() }],
      ["GET", `/webhooks/${other.id}/${others.webhook.id}`, undefined],
      ["DELETE", `/webhooks/${other.id}/${others.webhook.id}`, undefined],
    ] as const) {
      const refused = expectProblem(await v2(method, route, body, key), 403, "FORBIDDEN");
      assert.equal(refused.reason, "EVENT_NOT_ALLOWED", `${method} ${route}`);
    }

    const stranger = await otherOrganisation(t);
    expectProblem(await v2("GET", `/webhooks/${other.id}`, undefined, stranger), 404, "NOT_FOUND");
    expectProblem(
      await v2("GET", `/webhooks/${other.id}/${others.webhook.id}`, undefined, stranger),
      404,
      "NOT_FOUND",
    );
  });

  it("name the failing fields in camelCase: a private URL is refused with 422 naming url", async () => {
    const event = await createEvent(t);
    const key = basicAuth((await createApiKey(t, { eventIds: [event.id], canWrite: false })).secret);
    const fields = async (response: RestResponse) =>
      expectProblem(response, 422, "BAD_USER_INPUT")
        .errors.map((error) => error.field)
        .sort();

    for (const url of ["http://10.0.0.1/hook", "http://192.168.1.20/hook", "http://127.0.0.1:9/hook"]) {
      const created = await v2("POST", `/webhooks/${event.id}`, { type: "visitor", url }, key);
      assert.deepEqual(await fields(created), ["url"], url);
    }
    assert.deepEqual(
      await fields(await v2("POST", `/webhooks/${event.id}`, { type: "visitors", enabled: "yes" }, key)),
      ["enabled", "type", "url"],
    );
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url(), enabled: false });
    const path = `/webhooks/${event.id}/${webhook.id}`;
    assert.deepEqual(await fields(await v2("PUT", path, { url: "http://10.0.0.1/" }, key)), ["url"]);
    assert.deepEqual(await fields(await v2("PUT", path, { state: "sleeping" }, key)), ["state"]);
    assert.equal((await getWebhook(t, event.id, webhook.id)).url, receiver.url(), "nothing changed");
    const unknown = expectProblem(
      await v2("GET", `/webhooks/${event.id}?limit=1`, undefined, key),
      400,
      "BAD_REQUEST",
    );
    assert.deepEqual(
      unknown.errors.map((error) => error.field),
      ["limit"],
    );
  });
});

describe("pull by webhookId on the REST lists", () => {
  type Pulled = { ping: Ping; json: Json[]; xml: string; v2: Json[] };

  /** Every page of a v2 list of what the ping covers, two records a page, by fromRevision. */
  async function pullV2(kind: string, eventId: string, webhookId: string): Promise<Json[]> {
    const records: Json[] = [];
    let from = 0;
    for (;;) {
      const page = JSON.parse(
        (
          await restOk(
            t,
            "GET",
            `/create/v2/${kind}/${eventId}?webhookId=${webhookId}&limit=2&fromRevision=${from}`,
            200,
          )
        ).text,
      ) as Json[];
      records.push(...page);
      if (page.length < 2) return records;
      from = (page.at(-1)?.revision as number) + 1;
    }
  }

  /** A receiver that pulls what each ping covers on v1 JSON, v1 XML and v2 before answering 200. */
  function pullingReceiver(kind: "visitors" | "partners", eventId: string): Pulled[] {
    const pulls: Pulled[] = [];
    receiver.handler = async (ping) => {
      const { expoId = "", webhookId = "" } = ping.query;
      if (expoId !== eventId) return 200;
      const query = `?webhookId=${encodeURIComponent(webhookId)}`;
      const v1 = await restOk(t, "GET", `/json/${kind}/${expoId}${query}`, 200);
      const xml = await restOk(t, "GET", `/xml/${kind}/${expoId}${query}`, 200);
      pulls.push({
        ping,
        json: JSON.parse(v1.text),
        xml: xml.text,
        v2: await pullV2(kind, expoId, webhookId),
      });
      return 200;
    };
    return pulls;
  }

  const settled = (eventId: string, id: string, revision: number) =>
    waitFor(`webhook ${id} to deliver revision ${revision}`, async () => {
      const webhook = await getWebhook(t, eventId, id);
      return webhook.coveredRevision === null && webhook.deliveredRevision >= revision && webhook;
    });

  const ids = (records: Json[]) => records.map((record) => record.id as string);

  it("returns exactly the records each ping covers, once, the same in v1 JSON, v1 XML and v2", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    const pulls = pullingReceiver("visitors", event.id);
    const created = await v2("POST", `/webhooks/${event.id}`, { type: "visitor", url: receiver.url() });
    const webhookId = json(created).id as string;
    const before = await createVisitor(t, event.id);
    await settled(event.id, webhookId, before.revision);
    const first = pulls.length;

    const visitors = [];
    for (let index = 0; index < 5; index++) visitors.push(await createVisitor(t, event.id));
    await createPartner(t, event.id);
    const updated = await restOk(t, "PUT", `/json/visitors/${event.id}/${before.id}`, 200, {
      body: JSON.stringify({ reference: "changed" }),
    });
    const last = JSON.parse(updated.text).revision as number;
    await settled(event.id, webhookId, last);
    await receiver.idle();

    assert.deepEqual(
      pulls.slice(0, first).flatMap((pull) => ids(pull.json)),
      [before.id],
      "the first ping covers the first visitor",
    );
    for (const pull of pulls) {
      assert.equal(pull.ping.query.webhookId, webhookId);
      assert.deepEqual(ids(pull.v2), ids(pull.json), "v2 pulls what v1 JSON pulls");
      assert.ok(pull.json.length > 0, "a ping covers some change");
      assertXmlMatchesJson(pull.xml, pull.json, "visitors");
    }
    const later = pulls.slice(first).flatMap((pull) => ids(pull.json));
    assert.deepEqual(
      later.sort(),
      [...visitors.map((visitor) => visitor.id), before.id].sort(),
      "each change once, partners not included",
    );
    const revisions = pulls.flatMap((pull) => pull.v2.map((record) => record.revision as number));
    assert.deepEqual(
      revisions,
      [...revisions].sort((a, b) => a - b),
      "in revision order",
    );

    // Acknowledged: nothing is left to pull.
    assert.deepEqual(
      JSON.parse((await restOk(t, "GET", `/json/visitors/${event.id}?webhookId=${webhookId}`, 200)).text),
      [],
    );
    assert.equal(
      (await restOk(t, "GET", `/xml/visitors/${event.id}?webhookId=${webhookId}`, 200)).text.includes(
        "<visitor>",
      ),
      false,
    );
    assert.deepEqual(await pullV2("visitors", event.id, webhookId), []);
  });

  it("pulls a partner webhook's partners", async () => {
    const event = await createEvent(t);
    receiver.pings.length = 0;
    const pulls = pullingReceiver("partners", event.id);
    const { webhook } = await createWebhook(t, event.id, { url: receiver.url(), type: "PARTNER" });
    await createVisitor(t, event.id);
    const partner = await createPartner(t, event.id);
    await settled(event.id, webhook.id, partner.revision);
    await receiver.idle();
    assert.deepEqual(
      pulls.flatMap((pull) => ids(pull.v2)),
      [partner.id],
    );
    for (const pull of pulls) {
      assert.deepEqual(ids(pull.json), ids(pull.v2));
      assertXmlMatchesJson(pull.xml, pull.json, "partners");
    }
  });

  it("answers 404 for another expo's or organisation's webhook id, and for one of the other type", async () => {
    const own = await createEvent(t);
    const other = await createEvent(t);
    const { webhook: foreign } = await createWebhook(t, other.id, { url: receiver.url(), enabled: false });
    const { webhook: visitorHook } = await createWebhook(t, own.id, { url: receiver.url(), enabled: false });
    const stranger = await otherOrganisation(t);
    for (const format of ["/json", "/xml", "/create/v2"]) {
      for (const [path, as] of [
        [`${format}/visitors/${own.id}?webhookId=${foreign.id}`, undefined],
        [`${format}/partners/${own.id}?webhookId=${foreign.id}`, undefined],
        [`${format}/partners/${own.id}?webhookId=${visitorHook.id}`, undefined],
        [`${format}/visitors/${own.id}?webhookId=nosuchwebhook`, undefined],
        [`${format}/visitors/${own.id}?webhookId=${visitorHook.id}`, stranger],
      ] as const) {
        expectProblem(await rest(t, "GET", path, { as }), 404, "NOT_FOUND");
      }
      const empty = await rest(t, "GET", `${format}/visitors/${own.id}?webhookId=`);
      assert.equal(empty.status, 422, empty.text);
      assert.match(empty.text, /webhookId/);
    }
  });
});
