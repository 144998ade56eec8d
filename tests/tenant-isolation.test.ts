/**
 * Nothing of one organisation is visible to, or changeable by, another: an id of another organisation
 * behaves exactly as an id that does not exist (SPEC section 1).
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createEvent,
  createPartner,
  createQuestion,
  createRegistrationType,
  createVisitor,
  failure,
  otherOrganisation,
  PARTNER_FIELDS,
  VISITOR_FIELDS,
} from "./support/factories.js";
import { type GqlResult, startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
/** The second organisation's admin. */
let intruder: string;
/** The first organisation's records. */
let owned: {
  event: string;
  visitor: string;
  partner: string;
  eventType: string;
  wideType: string;
  partnerType: string;
  question: string;
  answer: string;
  user: string;
};
/** An event of the second organisation, to try the first one's record ids under. */
let intruderEvent: string;
let snapshot: Record<string, unknown>;

/** Ids of the same shapes that exist nowhere. */
const MISSING = {
  event: "missingevent0",
  visitor: "missingvisitor000000",
  partner: "missingpartner000000",
  eventType: "missingtype000000000",
  wideType: "missingtype000000001",
  partnerType: "missingtype000000002",
  question: "missingquestion00000",
  answer: "missinganswer0000000",
  user: "missinguser000000000",
};
type Ids = typeof MISSING;

/** Everything the owner can see of its organisation: compared before and after the intrusions. */
async function ownerView(): Promise<Record<string, unknown>> {
  return t.ok(
    `query($event: ID!, $visitor: ID!, $partner: ID!) {
      events { id name description reference start end timezone contactEmail updatedAt }
      event(id: $event) { registrationTypes { id name kind eventId } questions { id text answers { id text } } }
      wide: registrationTypes { id name kind }
      users { id email name roles }
      visitor(eventId: $event, id: $visitor) { ${VISITOR_FIELDS} }
      partner(eventId: $event, id: $partner) { ${PARTNER_FIELDS} }
      visitors(eventId: $event) { edges { node { id revision deleted } } }
      partners(eventId: $event) { edges { node { id revision deleted } } }
    }`,
    { event: owned.event, visitor: owned.visitor, partner: owned.partner },
  );
}

before(async () => {
  t = await startApp();
  const event = await createEvent(t);
  const eventType = await createRegistrationType(t, event.id);
  const wideType = await createRegistrationType(t, null);
  const partnerType = await createRegistrationType(t, null, "PARTNER");
  const question = await createQuestion(t, event.id, "SINGLE_CHOICE");
  const visitor = await createVisitor(t, event.id, {
    registrationTypeId: eventType,
    contact: { reference: "crm-owned", email: "owned@example.test" },
  });
  const partner = await createPartner(t, event.id, { registrationTypeId: partnerType });
  const user = await t.ok<{ createUser: { id: string } }>(
    "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
    {
      input: {
        email: "owned.user@example.test",
        name: "Owned",
        password: "owned-password-1",
        roles: ["ADMIN"],
      },
    },
  );
  owned = {
    event: event.id,
    visitor: visitor.id,
    partner: partner.id,
    eventType,
    wideType,
    partnerType,
    question: question.id,
    answer: question.answers[0].id,
    user: user.createUser.id,
  };
  intruder = await otherOrganisation(t);
  intruderEvent = (await createEvent(t, intruder)).id;
  snapshot = await ownerView();
});
after(() => t.close());

/** Every query and mutation that takes an id, as the intruder would try it with the first organisation's ids. */
const ATTEMPTS: { name: string; query: string; variables: (ids: Ids) => Record<string, unknown> }[] = [
  {
    name: "event",
    query: "query($id: ID!) { event(id: $id) { id } }",
    variables: (ids) => ({ id: ids.event }),
  },
  {
    name: "updateEvent",
    query: `mutation($id: ID!) { updateEvent(id: $id, input: { name: "Taken over" }) { id } }`,
    variables: (ids) => ({ id: ids.event }),
  },
  {
    name: "registrationTypes(eventId)",
    query: "query($id: ID!) { registrationTypes(eventId: $id) { id } }",
    variables: (ids) => ({ id: ids.event }),
  },
  {
    name: "createRegistrationType(eventId)",
    query: `mutation($id: ID!) { createRegistrationType(eventId: $id, input: { name: "X", kind: VISITOR }) { id } }`,
    variables: (ids) => ({ id: ids.event }),
  },
  {
    name: "questions",
    query: "query($id: ID!) { questions(eventId: $id) { id } }",
    variables: (ids) => ({ id: ids.event }),
  },
  {
    name: "createQuestion",
    query: `mutation($id: ID!) { createQuestion(eventId: $id, input: { text: "Q", kind: TEXT }) { id } }`,
    variables: (ids) => ({ id: ids.event }),
  },
  {
    name: "visitor",
    query: "query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { id } }",
    variables: (ids) => ({ e: ids.event, id: ids.visitor }),
  },
  {
    name: "visitors",
    query: "query($e: ID!) { visitors(eventId: $e) { edges { cursor } } }",
    variables: (ids) => ({ e: ids.event }),
  },
  {
    name: "createVisitor",
    query: 'mutation($e: ID!) { createVisitor(eventId: $e, input: { reference: "intruder" }) { id } }',
    variables: (ids) => ({ e: ids.event }),
  },
  {
    name: "createVisitors",
    query: 'mutation($e: ID!) { createVisitors(eventId: $e, inputs: [{ reference: "intruder" }]) { id } }',
    variables: (ids) => ({ e: ids.event }),
  },
  {
    name: "updateVisitor",
    query:
      "mutation($e: ID!, $id: ID!) { updateVisitor(eventId: $e, id: $id, input: { registrationState: CANCELLED }) { id } }",
    variables: (ids) => ({ e: ids.event, id: ids.visitor }),
  },
  {
    name: "deleteVisitor",
    query: "mutation($e: ID!, $id: ID!) { deleteVisitor(eventId: $e, id: $id) { id } }",
    variables: (ids) => ({ e: ids.event, id: ids.visitor }),
  },
  {
    name: "partner",
    query: "query($e: ID!, $id: ID!) { partner(eventId: $e, id: $id) { id } }",
    variables: (ids) => ({ e: ids.event, id: ids.partner }),
  },
  {
    name: "partners",
    query: "query($e: ID!) { partners(eventId: $e) { edges { cursor } } }",
    variables: (ids) => ({ e: ids.event }),
  },
  {
    name: "createPartner",
    query: 'mutation($e: ID!) { createPartner(eventId: $e, input: { name: "Intruder" }) { id } }',
    variables: (ids) => ({ e: ids.event }),
  },
  {
    name: "createPartners",
    query: 'mutation($e: ID!) { createPartners(eventId: $e, inputs: [{ name: "Intruder" }]) { id } }',
    variables: (ids) => ({ e: ids.event }),
  },
  {
    name: "updatePartner",
    query:
      'mutation($e: ID!, $id: ID!) { updatePartner(eventId: $e, id: $id, input: { name: "Taken" }) { id } }',
    variables: (ids) => ({ e: ids.event, id: ids.partner }),
  },
  {
    name: "deletePartner",
    query: "mutation($e: ID!, $id: ID!) { deletePartner(eventId: $e, id: $id) { id } }",
    variables: (ids) => ({ e: ids.event, id: ids.partner }),
  },
  {
    name: "updateUser",
    query:
      'mutation($id: ID!) { updateUser(id: $id, input: { roles: [DATA_MANAGEMENT], password: "taken-over-1" }) { id } }',
    variables: (ids) => ({ id: ids.user }),
  },
  {
    name: "deleteUser",
    query: "mutation($id: ID!) { deleteUser(id: $id) { id } }",
    variables: (ids) => ({ id: ids.user }),
  },
];

/** What a client can tell apart: status, code, reason, message and named fields. */
const observable = (result: GqlResult) => ({ ...failure(result), message: result.errors?.[0]?.message });

describe("tenant isolation", () => {
  it("lists none of the first organisation's events, organisation-wide types or users", async () => {
    const data = await t.ok<{
      events: { id: string }[];
      registrationTypes: { id: string }[];
      users: { id: string }[];
    }>("{ events { id } registrationTypes { id } users { id } }", {}, { as: intruder });
    assert.deepEqual(
      data.events.map((event) => event.id),
      [intruderEvent],
    );
    assert.deepEqual(data.registrationTypes, []);
    assert.ok(!data.users.some((user) => user.id === owned.user));
    assert.equal(data.users.length, 1);
  });

  for (const attempt of ATTEMPTS) {
    it(`answers NOT_FOUND to ${attempt.name} with the first organisation's ids, as for ids that do not exist`, async () => {
      const result = await t.gql(attempt.query, attempt.variables(owned), { as: intruder });
      assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"]);
      assert.equal(result.data ?? null, null);
      const missing = await t.gql(attempt.query, attempt.variables(MISSING), { as: intruder });
      assert.deepEqual(observable(result), observable(missing));
    });
  }

  it("answers NOT_FOUND for the first organisation's visitor and partner ids under its own event", async () => {
    for (const attempt of ATTEMPTS.filter((entry) => /isitor$|artner$/.test(entry.name))) {
      const variables = { ...attempt.variables(owned), e: intruderEvent };
      if (!("id" in variables)) continue;
      const result = await t.gql(attempt.query, variables, { as: intruder });
      assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"], attempt.name);
    }
  });

  it("treats the first organisation's registration types and questions as unknown in its own event", async () => {
    const create = `mutation($e: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $e, input: $input) { id } }`;
    for (const typeId of [owned.eventType, owned.wideType]) {
      const result = await t.gql(
        create,
        { e: intruderEvent, input: { registrationTypeId: typeId } },
        { as: intruder },
      );
      const missing = await t.gql(
        create,
        { e: intruderEvent, input: { registrationTypeId: MISSING.wideType } },
        { as: intruder },
      );
      assert.deepEqual(failure(result).fields, ["registrationTypeId"]);
      assert.deepEqual(result.errors?.[0]?.extensions, missing.errors?.[0]?.extensions);
    }
    const partner = await t.gql(
      `mutation($e: ID!, $type: ID!) { createPartner(eventId: $e, input: { name: "P", registrationTypeId: $type }) { id } }`,
      { e: intruderEvent, type: owned.partnerType },
      { as: intruder },
    );
    assert.deepEqual(failure(partner).fields, ["registrationTypeId"]);
    const answered = await t.gql(
      create,
      { e: intruderEvent, input: { answers: [{ questionId: owned.question, answerIds: [owned.answer] }] } },
      { as: intruder },
    );
    assert.deepEqual(failure(answered).fields, ["answers.0.questionId"]);
  });

  it("finds nothing of the first organisation through filters on its own event", async () => {
    await createVisitor(t, intruderEvent, {}, intruder);
    const data = await t.ok<{ visitors: { edges: unknown[] }; partners: { edges: unknown[] } }>(
      `query($e: ID!, $types: [ID!]) {
        visitors(eventId: $e, filter: { registrationTypeIds: $types }) { edges { cursor } }
        partners(eventId: $e, filter: { registrationTypeIds: $types }) { edges { cursor } }
      }`,
      { e: intruderEvent, types: [owned.eventType, owned.wideType, owned.partnerType] },
      { as: intruder },
    );
    assert.deepEqual(data.visitors.edges, []);
    assert.deepEqual(data.partners.edges, []);
    for (const filter of [{ contactReference: "crm-owned" }, { contactEmail: "owned@example.test" }]) {
      const found = await t.ok<{ visitors: { edges: unknown[] } }>(
        "query($e: ID!, $filter: VisitorFilter) { visitors(eventId: $e, filter: $filter) { edges { cursor } } }",
        { e: intruderEvent, filter },
        { as: intruder },
      );
      assert.deepEqual(found.visitors.edges, [], JSON.stringify(filter));
    }
  });

  it("leaves the first organisation's data unchanged after every attempt", async () => {
    assert.deepEqual(await ownerView(), snapshot);
    await t.login("owned.user@example.test", "owned-password-1");
  });

  it("still lets the first organisation's admin change its own data", async () => {
    await t.ok('mutation($id: ID!) { updateEvent(id: $id, input: { reference: "mine" }) { id } }', {
      id: owned.event,
    });
    const read = await t.gql(
      "query($id: ID!) { event(id: $id) { reference } }",
      { id: owned.event },
      { as: intruder },
    );
    assert.equal(read.status, 404);
  });
});
