import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createEvent,
  createQuestion,
  createRegistrationType,
  PARTNER_FIELDS,
  VISITOR_FIELDS,
} from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { assertXmlMatchesJson, type RestFormat, rest, restOk, withoutNulls } from "./support.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type Json = Record<string, unknown>;

/** An event with one question of each kind and a visitor and a partner registration type. */
async function eventWithQuestions() {
  const event = await createEvent(t);
  const choice = await createQuestion(t, event.id, "MULTIPLE_CHOICE", ["Robots", "Looms"]);
  const text = await createQuestion(t, event.id, "TEXT");
  const visitorType = await createRegistrationType(t, event.id, "VISITOR");
  const partnerType = await createRegistrationType(t, event.id, "PARTNER");
  return { event, choice, text, visitorType, partnerType };
}

const visitorJson = (setup: Awaited<ReturnType<typeof eventWithQuestions>>) => ({
  "registration-state": "pending-confirmation",
  "registration-type-id": setup.visitorType,
  reference: "crm-7",
  contact: {
    "first-name": "Ada",
    "last-name": "Lovelace",
    email: "Ada@Example.test",
    company: "Analytical Engines & Co",
    "job-title": "Programmer",
    phone: "+44 20 0000",
    reference: "c-7",
    address: { street: "1 St James's Square", "postal-code": "SW1Y", city: "London", country: "GB" },
  },
  answers: [
    { "question-id": setup.choice.id, "answer-ids": setup.choice.answers.map((answer) => answer.id) },
    { "question-id": setup.text.id, text: "Notes <on> the engine" },
  ],
});

function visitorXml(setup: Awaited<ReturnType<typeof eventWithQuestions>>) {
  const [robots, looms] = setup.choice.answers.map((answer) => answer.id);
  return `<?xml version="1.0" encoding="UTF-8"?>
<visitor>
  <registration-state>pending-confirmation</registration-state>
  <registration-type-id>${setup.visitorType}</registration-type-id>
  <reference>crm-7</reference>
  <contact>
    <first-name>Ada</first-name>
    <last-name>Lovelace</last-name>
    <email>Ada@Example.test</email>
    <company>Analytical Engines &amp; Co</company>
    <job-title>Programmer</job-title>
    <phone>+44 20 0000</phone>
    <reference>c-7</reference>
    <address><street>1 St James's Square</street><postal-code>SW1Y</postal-code><city>London</city><country>GB</country></address>
  </contact>
  <answers>
    <answer><question-id>${setup.choice.id}</question-id><answer-ids><answer-id>${robots}</answer-id><answer-id>${looms}</answer-id></answer-ids></answer>
    <answer><question-id>${setup.text.id}</question-id><text>Notes &lt;on&gt; the engine</text></answer>
  </answers>
</visitor>`;
}

const readVisitor = async (eventId: string, id: string) =>
  (
    await t.ok<{ visitor: Json }>(
      `query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR_FIELDS} } }`,
      { eventId, id },
    )
  ).visitor;

const readPartner = async (eventId: string, id: string) =>
  (
    await t.ok<{ partner: Json }>(
      `query($eventId: ID!, $id: ID!) { partner(eventId: $eventId, id: $id) { ${PARTNER_FIELDS} } }`,
      { eventId, id },
    )
  ).partner;

/** Reads one value out of a REST response in either format, by a path of element names. */
function field(format: RestFormat, text: string, path: string[]): string | undefined {
  if (format === "json") {
    const value = path.reduce<unknown>((node, key) => (node as Json | undefined)?.[key], JSON.parse(text));
    return value === undefined ? undefined : String(value);
  }
  let rest = text;
  for (const name of path) {
    const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(rest);
    if (!match) return undefined;
    rest = match[1];
  }
  return rest;
}

for (const format of ["json", "xml"] as const) {
  describe(`${format.toUpperCase()} visitors CRUD`, () => {
    it("creates (201 + Location), reads, updates, deletes (204) and then shows the tombstone", async () => {
      const setup = await eventWithQuestions();
      const base = `/${format}/visitors/${setup.event.id}`;
      const body = format === "json" ? JSON.stringify(visitorJson(setup)) : visitorXml(setup);
      const created = await restOk(t, "POST", base, 201, { body });
      const id = must(field(format, created.text, ["id"]), 'field(format, created.text, ["id"])');
      assert.equal(created.headers.get("location"), `${base}/${id}`);
      assert.match(
        created.headers.get("content-type") ?? "",
        format === "json" ? /^application\/json/ : /^application\/xml/,
      );

      const read = await restOk(
        t,
        "GET",
        must(created.headers.get("location"), 'created.headers.get("location")'),
        200,
      );
      assert.equal(read.text, created.text);
      assert.equal(field(format, read.text, ["registration-state"]), "pending-confirmation");
      assert.equal(field(format, read.text, ["contact", "email"]), "ada@example.test");

      const update =
        format === "json"
          ? JSON.stringify({ "registration-state": "registered", contact: { "job-title": "Countess" } })
          : "<visitor><registration-state>registered</registration-state><contact><job-title>Countess</job-title></contact></visitor>";
      const updated = await restOk(t, "PUT", `${base}/${id}`, 200, { body: update });
      assert.equal(field(format, updated.text, ["registration-state"]), "registered");
      assert.equal(field(format, updated.text, ["contact", "job-title"]), "Countess");
      // Fields left out keep their value.
      assert.equal(field(format, updated.text, ["contact", "first-name"]), "Ada");
      assert.equal(field(format, updated.text, ["reference"]), "crm-7");
      assert.ok(
        Number(field(format, updated.text, ["revision"])) > Number(field(format, read.text, ["revision"])),
      );

      const deleted = await restOk(t, "DELETE", `${base}/${id}`, 204);
      assert.equal(deleted.text, "");
      const tombstone = await restOk(t, "GET", `${base}/${id}`, 200);
      assert.equal(field(format, tombstone.text, ["deleted"]), "true");
      await restOk(t, "DELETE", `${base}/${id}`, 404);
    });
  });

  describe(`${format.toUpperCase()} partners CRUD`, () => {
    it("creates, reads, updates (staff replaced), deletes", async () => {
      const setup = await eventWithQuestions();
      const base = `/${format}/partners/${setup.event.id}`;
      const body =
        format === "json"
          ? JSON.stringify({
              name: "Babbage Ltd",
              "registration-type-id": setup.partnerType,
              stand: "B12",
              hall: "2",
              website: "https://babbage.example.test",
              contact: { "first-name": "Charles", email: "charles@babbage.example.test" },
              staff: [{ "first-name": "Ada" }, { "first-name": "Mary", address: { city: "Bath" } }],
            })
          : `<partner><name>Babbage Ltd</name><registration-type-id>${setup.partnerType}</registration-type-id>
              <stand>B12</stand><hall>2</hall><website>https://babbage.example.test</website>
              <contact><first-name>Charles</first-name><email>charles@babbage.example.test</email></contact>
              <staff><member><first-name>Ada</first-name></member><member><first-name>Mary</first-name><address><city>Bath</city></address></member></staff>
            </partner>`;
      const created = await restOk(t, "POST", base, 201, { body });
      const id = must(field(format, created.text, ["id"]), 'field(format, created.text, ["id"])');
      assert.equal(created.headers.get("location"), `${base}/${id}`);
      const read = await restOk(t, "GET", `${base}/${id}`, 200);
      assert.equal(read.text, created.text);

      const partner = await readPartner(setup.event.id, id);
      assert.deepEqual(
        (partner.staff as Json[]).map((member) => member.firstName),
        ["Ada", "Mary"],
      );
      assert.equal((partner.staff as { address: Json }[])[1].address.city, "Bath");

      const update =
        format === "json"
          ? JSON.stringify({ stand: "C1", staff: [{ "first-name": "Grace" }] })
          : "<partner><stand>C1</stand><staff><member><first-name>Grace</first-name></member></staff></partner>";
      const updated = await restOk(t, "PUT", `${base}/${id}`, 200, { body: update });
      assert.equal(field(format, updated.text, ["stand"]), "C1");
      assert.equal(field(format, updated.text, ["name"]), "Babbage Ltd");
      assert.deepEqual(
        ((await readPartner(setup.event.id, id)).staff as Json[]).map((member) => member.firstName),
        ["Grace"],
      );

      await restOk(t, "DELETE", `${base}/${id}`, 204);
      assert.equal((await readPartner(setup.event.id, id)).deleted, true);
    });
  });
}

describe("one record, two views", () => {
  it("shows the same fields, in the same order, with the same values in JSON and XML, for every GET route", async () => {
    const setup = await eventWithQuestions();
    const visitor = JSON.parse(
      (
        await restOk(t, "POST", `/json/visitors/${setup.event.id}`, 201, {
          body: JSON.stringify(visitorJson(setup)),
        })
      ).text,
    ) as Json;
    const partner = JSON.parse(
      (
        await restOk(t, "POST", `/json/partners/${setup.event.id}`, 201, {
          body: JSON.stringify({
            name: "P",
            staff: [{ "first-name": "S", address: { city: "C" } }],
            contact: {},
          }),
        })
      ).text,
    ) as Json;
    const routes: [string, string][] = [
      ["/events", "events"],
      [`/events/${setup.event.id}`, "event"],
      [`/registration-types/${setup.event.id}`, "registration-types"],
      [`/visitors/${setup.event.id}`, "visitors"],
      [`/visitors/${setup.event.id}/${visitor.id}`, "visitor"],
      [`/partners/${setup.event.id}`, "partners"],
      [`/partners/${setup.event.id}/${partner.id}`, "partner"],
    ];
    for (const [path, root] of routes) {
      const json = await restOk(t, "GET", `/json${path}`, 200);
      const xml = await restOk(t, "GET", `/xml${path}`, 200);
      assertXmlMatchesJson(xml.text, JSON.parse(json.text), root);
    }
  });

  it("matches GraphQL field by field: kebab-case names, REST enum spelling, null fields left out", async () => {
    const setup = await eventWithQuestions();
    const created = await restOk(t, "POST", `/json/visitors/${setup.event.id}`, 201, {
      body: JSON.stringify({ contact: { "first-name": "Only" } }),
    });
    const json = JSON.parse(created.text) as Json;
    const graphql = withoutNulls(await readVisitor(setup.event.id, String(json.id)));
    assert.deepEqual(json, {
      id: graphql.id,
      "event-id": graphql.eventId,
      "registration-state": "invited",
      contact: { "first-name": "Only" },
      answers: [],
      "created-at": graphql.createdAt,
      "updated-at": graphql.updatedAt,
      revision: graphql.revision,
      deleted: false,
    });
    assert.equal(typeof json.revision, "number");
    assert.match(String(json["created-at"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe("XML writes, GraphQL reads", () => {
  it("reads back through GraphQL exactly what an XML body wrote", async () => {
    const setup = await eventWithQuestions();
    const created = await restOk(t, "POST", `/xml/visitors/${setup.event.id}`, 201, {
      body: visitorXml(setup),
    });
    const id = must(field("xml", created.text, ["id"]), 'field("xml", created.text, ["id"])');
    const visitor = await readVisitor(setup.event.id, id);
    assert.deepEqual(
      {
        registrationState: visitor.registrationState,
        registrationTypeId: visitor.registrationTypeId,
        reference: visitor.reference,
        contact: visitor.contact,
        answers: visitor.answers,
      },
      {
        registrationState: "PENDING_CONFIRMATION",
        registrationTypeId: setup.visitorType,
        reference: "crm-7",
        contact: {
          firstName: "Ada",
          lastName: "Lovelace",
          email: "ada@example.test",
          company: "Analytical Engines & Co",
          jobTitle: "Programmer",
          phone: "+44 20 0000",
          reference: "c-7",
          address: {
            street: "1 St James's Square",
            street2: null,
            postalCode: "SW1Y",
            city: "London",
            region: null,
            country: "GB",
          },
        },
        answers: [
          {
            questionId: setup.choice.id,
            answerIds: setup.choice.answers.map((answer) => answer.id),
            text: null,
          },
          { questionId: setup.text.id, answerIds: null, text: "Notes <on> the engine" },
        ],
      },
    );
  });

  it("takes a document read with GET back with PUT unchanged (read-only fields are ignored)", async () => {
    const setup = await eventWithQuestions();
    const created = await restOk(t, "POST", `/xml/visitors/${setup.event.id}`, 201, {
      body: visitorXml(setup),
    });
    const id = must(field("xml", created.text, ["id"]), 'field("xml", created.text, ["id"])');
    const before = await readVisitor(setup.event.id, id);
    await restOk(t, "PUT", `/xml/visitors/${setup.event.id}/${id}`, 200, { body: created.text });
    const after = await readVisitor(setup.event.id, id);
    const { revision: _r1, updatedAt: _u1, ...same } = before;
    const { revision: _r2, updatedAt: _u2, ...again } = after;
    assert.deepEqual(again, same);
    assert.ok(Number(after.revision) > Number(before.revision));
  });

  it('clears a field with xsi:nil="true" and all answers with an empty <answers/>', async () => {
    const setup = await eventWithQuestions();
    const created = await restOk(t, "POST", `/xml/visitors/${setup.event.id}`, 201, {
      body: visitorXml(setup),
    });
    const id = must(field("xml", created.text, ["id"]), 'field("xml", created.text, ["id"])');
    await restOk(t, "PUT", `/xml/visitors/${setup.event.id}/${id}`, 200, {
      body: `<visitor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><reference xsi:nil="true"/><answers/>
        <contact><phone xsi:nil="true"/></contact></visitor>`,
    });
    const visitor = await readVisitor(setup.event.id, id);
    assert.equal(visitor.reference, null);
    assert.deepEqual(visitor.answers, []);
    assert.equal((visitor.contact as Json).phone, null);
    assert.equal((visitor.contact as Json).firstName, "Ada");
  });
});

describe("events and registration types", () => {
  it("lists events, shows one with its questions, and lists registration types in REST spelling", async () => {
    const setup = await eventWithQuestions();
    const events = JSON.parse((await restOk(t, "GET", "/json/events", 200)).text) as Json[];
    assert.ok(events.some((event) => event.id === setup.event.id));
    const event = JSON.parse((await restOk(t, "GET", `/json/events/${setup.event.id}`, 200)).text) as Json;
    assert.equal(event.timezone, "Europe/Amsterdam");
    assert.deepEqual(
      (event.questions as Json[]).map((question) => question.kind),
      ["multiple-choice", "text"],
    );
    const types = JSON.parse(
      (await restOk(t, "GET", `/json/registration-types/${setup.event.id}`, 200)).text,
    ) as Json[];
    assert.deepEqual(types.map((type) => type.kind).sort(), ["partner", "visitor"]);
    await restOk(t, "GET", "/json/events/nosuchevent00", 404);
    const missing = await rest(t, "GET", "/xml/events/nosuchevent00");
    assert.equal(missing.status, 404);
    assert.match(missing.text, /<error-code>NOT_FOUND<\/error-code>/);
  });
});
