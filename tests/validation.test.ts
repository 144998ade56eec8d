import { must } from "./support/must.js";
/**
 * A failed mutation writes nothing, and every invalid field is named in the error
 * (`extensions.errors`: [{ field, message }]); whole-operation failures carry the HTTP status of their
 * first error.
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
  PARTNER_FIELDS,
  userWithRoles,
  VISITOR_FIELDS,
} from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

const CREATE_VISITOR = `mutation($eventId: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $eventId, input: $input) { id } }`;
const UPDATE_VISITOR = `mutation($eventId: ID!, $id: ID!, $input: UpdateVisitorInput!) { updateVisitor(eventId: $eventId, id: $id, input: $input) { id } }`;
const GET_VISITOR = `query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR_FIELDS} } }`;
const VISITORS = "query($eventId: ID!) { visitors(eventId: $eventId) { edges { node { id revision } } } }";
const CREATE_PARTNER = `mutation($eventId: ID!, $input: CreatePartnerInput!) { createPartner(eventId: $eventId, input: $input) { id } }`;
const UPDATE_PARTNER = `mutation($eventId: ID!, $id: ID!, $input: UpdatePartnerInput!) { updatePartner(eventId: $eventId, id: $id, input: $input) { id } }`;
const GET_PARTNER = `query($eventId: ID!, $id: ID!) { partner(eventId: $eventId, id: $id) { ${PARTNER_FIELDS} } }`;
const PARTNERS = "query($eventId: ID!) { partners(eventId: $eventId) { edges { node { id revision } } } }";

type FieldError = { field: string; message: string };

const fieldErrors = (result: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  (result.errors?.[0]?.extensions?.errors ?? []) as FieldError[];

async function visitorIds(eventId: string): Promise<string[]> {
  const data = await t.ok<{ visitors: { edges: { node: { id: string } }[] } }>(VISITORS, { eventId });
  return data.visitors.edges.map((edge) => edge.node.id);
}

async function partnerIds(eventId: string): Promise<string[]> {
  const data = await t.ok<{ partners: { edges: { node: { id: string } }[] } }>(PARTNERS, { eventId });
  return data.partners.edges.map((edge) => edge.node.id);
}

describe("a failed mutation writes nothing; every invalid field is named in the error", () => {
  it("names all three bad fields of a createVisitor, each with a message, and the list stays empty", async () => {
    const event = await createEvent(t);
    const partnerType = await createRegistrationType(t, event.id, "PARTNER");
    const result = await t.gql(CREATE_VISITOR, {
      eventId: event.id,
      input: {
        registrationTypeId: partnerType,
        reference: "r".repeat(201),
        contact: { firstName: "Ada", email: "ada-at-example" },
      },
    });
    assert.equal(result.status, 422);
    assert.equal(failure(result).code, "BAD_USER_INPUT");
    const errors = fieldErrors(result);
    assert.deepEqual(errors.map((error) => error.field).sort(), [
      "contact.email",
      "reference",
      "registrationTypeId",
    ]);
    for (const error of errors) assert.ok(error.message.length > 0, error.field);
    assert.match(must(result.errors, "result.errors")[0].message, /contact\.email/);
    assert.deepEqual(await visitorIds(event.id), []);
  });

  it("names schema errors and reference errors (types, questions) in one answer", async () => {
    const event = await createEvent(t);
    const result = await t.gql(CREATE_VISITOR, {
      eventId: event.id,
      input: {
        registrationTypeId: "nosuchtype",
        contact: { phone: "p".repeat(201), address: { country: "c".repeat(201) } },
        answers: [{ questionId: "nosuchquestion", text: "x" }],
      },
    });
    assert.deepEqual(failure(result).fields, [
      "answers.0.questionId",
      "contact.address.country",
      "contact.phone",
      "registrationTypeId",
    ]);
    assert.deepEqual(await visitorIds(event.id), []);
  });

  it("leaves a visitor and its revision unchanged after an invalid update", async () => {
    const event = await createEvent(t);
    const partnerType = await createRegistrationType(t, event.id, "PARTNER");
    const question = await createQuestion(t, event.id, "SINGLE_CHOICE");
    const visitor = await createVisitor(t, event.id, {
      reference: "before",
      contact: { firstName: "Before", email: "before@example.test" },
      answers: [{ questionId: question.id, answerIds: [question.answers[0].id] }],
    });
    const result = await t.gql(UPDATE_VISITOR, {
      eventId: event.id,
      id: visitor.id,
      input: {
        reference: "after",
        registrationTypeId: partnerType,
        contact: { firstName: "After", email: "broken" },
        answers: [{ questionId: question.id, answerIds: question.answers.map((answer) => answer.id) }],
      },
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["answers.0.answerIds", "contact.email", "registrationTypeId"]);
    const read = await t.ok<{ visitor: Record<string, unknown> }>(GET_VISITOR, {
      eventId: event.id,
      id: visitor.id,
    });
    assert.deepEqual(read.visitor, visitor);
  });

  it("refuses a null registration state on update, naming it", async () => {
    const event = await createEvent(t);
    const visitor = await createVisitor(t, event.id);
    const result = await t.gql(UPDATE_VISITOR, {
      eventId: event.id,
      id: visitor.id,
      input: { registrationState: null },
    });
    assert.deepEqual(failure(result).fields, ["registrationState"]);
    const read = await t.ok<{ visitor: Record<string, unknown> }>(GET_VISITOR, {
      eventId: event.id,
      id: visitor.id,
    });
    assert.deepEqual(read.visitor, visitor);
  });

  it("names every bad field of a createPartner and writes nothing", async () => {
    const event = await createEvent(t);
    const visitorType = await createRegistrationType(t, event.id, "VISITOR");
    const result = await t.gql(CREATE_PARTNER, {
      eventId: event.id,
      input: {
        name: "",
        website: "not a url",
        stand: "s".repeat(201),
        registrationTypeId: visitorType,
        staff: [{ firstName: "ok" }, { email: "bad" }],
      },
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, [
      "name",
      "registrationTypeId",
      "staff.1.email",
      "stand",
      "website",
    ]);
    assert.deepEqual(await partnerIds(event.id), []);
  });

  it("leaves a partner and its revision unchanged after an invalid update", async () => {
    const event = await createEvent(t);
    const partner = await createPartner(t, event.id, {
      staff: [{ firstName: "Kept" }],
      website: "https://kept.example",
    });
    const result = await t.gql(UPDATE_PARTNER, {
      eventId: event.id,
      id: partner.id,
      input: { name: " ", website: "javascript:alert(1)", staff: [{ email: "@" }], hall: "h".repeat(201) },
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["hall", "name", "staff.0.email", "website"]);
    const read = await t.ok<{ partner: Record<string, unknown> }>(GET_PARTNER, {
      eventId: event.id,
      id: partner.id,
    });
    assert.deepEqual(read.partner, partner);
  });

  it("names text holding a NUL character instead of failing in the database", async () => {
    const event = await createEvent(t);
    const question = await createQuestion(t, event.id, "TEXT");
    const visitor = await t.gql(CREATE_VISITOR, {
      eventId: event.id,
      input: {
        reference: "a\u0000b",
        contact: { firstName: "Ada\u0000" },
        answers: [{ questionId: question.id, text: "\u0000" }],
      },
    });
    assert.equal(visitor.status, 422);
    assert.deepEqual(failure(visitor).fields, ["answers.0.text", "contact.firstName", "reference"]);
    const partner = await t.gql(CREATE_PARTNER, { eventId: event.id, input: { name: "Nul\u0000Corp" } });
    assert.deepEqual(failure(partner).fields, ["name"]);
    const named = await t.gql("mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }", {
      input: { name: "\u0000", start: "2027-01-01T00:00:00Z", end: "2027-01-02T00:00:00Z" },
    });
    assert.deepEqual(failure(named).fields, ["name"]);
    assert.deepEqual(await visitorIds(event.id), []);
  });
});

describe("HTTP status of a failed operation", () => {
  it("is 200 for a successful operation", async () => {
    const result = await t.gql("{ events { id } }");
    assert.equal(result.status, 200);
    assert.equal(result.errors, undefined);
  });

  it("is 401 without credentials", async () => {
    const result = await t.gql("{ events { id } }", {}, { as: null });
    assert.deepEqual([result.status, failure(result).code], [401, "UNAUTHENTICATED"]);
  });

  it("is 403 for a missing role", async () => {
    const token = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
    const result = await t.gql("{ events { id } }", {}, { as: token });
    assert.deepEqual([result.status, failure(result).code], [403, "FORBIDDEN"]);
  });

  it("is 404 for an unknown id", async () => {
    const result = await t.gql("query($id: ID!) { event(id: $id) { id } }", { id: "unknownevent1" });
    assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"]);
  });

  it("is 409 for a conflict", async () => {
    const email = `twice.${Date.now()}@example.test`;
    const create = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
    const input = { email, name: "Twice", password: "password-123", roles: ["DATA_MANAGEMENT"] };
    await t.ok(create, { input });
    const result = await t.gql(create, { input });
    assert.deepEqual([result.status, failure(result).code], [409, "CONFLICT"]);
  });

  it("is 422 for invalid input", async () => {
    const event = await createEvent(t);
    const result = await t.gql(CREATE_VISITOR, { eventId: event.id, input: { contact: { email: "x" } } });
    assert.deepEqual([result.status, failure(result).code], [422, "BAD_USER_INPUT"]);
  });

  it("is the status of the first error when several fields fail", async () => {
    const event = await createEvent(t);
    const result = await t.gql(
      `query($eventId: ID!) {
        missing: event(id: "unknownevent1") { id }
        present: event(id: $eventId) { id }
      }`,
      { eventId: event.id },
    );
    assert.equal(result.data ?? null, null);
    assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"]);
  });

  it("is 400 for a GraphQL syntax error", async () => {
    const result = await t.gql("{ events { id ");
    assert.deepEqual([result.status, failure(result).code], [400, "GRAPHQL_PARSE_FAILED"]);
  });

  it("is 400 for a document that does not match the schema", async () => {
    const result = await t.gql("{ events { id noSuchField } }");
    assert.deepEqual([result.status, failure(result).code], [400, "GRAPHQL_VALIDATION_FAILED"]);
  });

  it("is a 4xx BAD_USER_INPUT, not a masked 500, for a variable of the wrong type", async () => {
    const event = await createEvent(t);
    const result = await t.gql(CREATE_VISITOR, { eventId: event.id, input: { registrationState: "NOPE" } });
    assert.equal(failure(result).code, "BAD_USER_INPUT");
    assert.ok(result.status >= 400 && result.status < 500, String(result.status));
    assert.match(must(result.errors, "result.errors")[0].message, /registrationState/);
  });

  it("never sends a stack trace", async () => {
    const results = [
      await t.gql("{ events { id } }", {}, { as: null }),
      await t.gql("query($id: ID!) { event(id: $id) { id } }", { id: "unknownevent1" }),
      await t.gql("{ events { id ", {}),
    ];
    for (const result of results) {
      for (const error of result.errors ?? []) {
        assert.equal(error.extensions?.stacktrace, undefined);
        assert.doesNotMatch(JSON.stringify(error), /\bat .+\.(ts|js):\d+/);
      }
    }
  });
});
