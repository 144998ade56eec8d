import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { isEnumType, isInputObjectType, isObjectType } from "graphql";
import { V1_JSON, V1_XML } from "@/compat/dialect.js";
import { enumFromRest, enumToRest, singular, toCamel, toKebab } from "@/compat/kebab-case.js";
import { bodyInput } from "@/compat/request-input.js";
import { toRest } from "@/compat/rest-model.js";
import { type CompiledRoute, compileRoutes, ROUTES } from "@/compat/route-table.js";
import { renderXml } from "@/compat/xml-render.js";
import { REGISTRATION_STATES } from "@/schema/tables/visitor.table.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import { createEvent, createQuestion, createRegistrationType, VISITOR_FIELDS } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { assertValidXml, restOk, withoutNulls } from "./support.js";

// XML 1.0 cannot carry other code points at all, escaped or not: a valid visitor for XML has none.
const isXmlText = (text: string) =>
  [...text].every((char) => {
    const code = char.codePointAt(0)!;
    return (
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000
    );
  });

/** Text that is hard for XML: markup, entity look-alikes, CR and CRLF, quotes, astral characters. */
const trickyText = fc
  .array(
    fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 6 }),
      fc.constantFrom(
        "&",
        "&amp;",
        "&nbsp;",
        "&#38;",
        "<b>",
        "]]>",
        "\r",
        "\r\n",
        "\n",
        "\t",
        "'\"",
        "😀",
        "  ",
        "true",
        "007",
      ),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(""))
  .filter(isXmlText);

const nullable = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null });

/** A visitor as GraphQL returns it, over the whole value space of its types (not the services' rules). */
const anyVisitor = fc.record({
  id: fc.string({ minLength: 1, maxLength: 20 }).filter(isXmlText),
  eventId: fc.constant("event1234567a"),
  registrationState: fc.constantFrom(...REGISTRATION_STATES),
  registrationTypeId: nullable(trickyText),
  reference: nullable(trickyText),
  contact: fc.record({
    firstName: nullable(trickyText),
    lastName: nullable(trickyText),
    email: nullable(trickyText),
    company: nullable(trickyText),
    jobTitle: nullable(trickyText),
    phone: nullable(trickyText),
    reference: nullable(trickyText),
    address: nullable(
      fc.record({
        street: nullable(trickyText),
        street2: nullable(trickyText),
        postalCode: nullable(trickyText),
        city: nullable(trickyText),
        region: nullable(trickyText),
        country: nullable(trickyText),
      }),
    ),
  }),
  answers: fc.array(
    fc.record({
      questionId: trickyText,
      answerIds: nullable(fc.array(trickyText, { maxLength: 4 })),
      text: nullable(trickyText),
    }),
    { maxLength: 4 },
  ),
  createdAt: fc.constant("2027-01-01T00:00:00.000Z"),
  updatedAt: fc.constant("2027-01-02T00:00:00.000Z"),
  revision: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  deleted: fc.boolean(),
});

type Visitor = { [key: string]: unknown; contact: Record<string, unknown> };

/** What a visitor says that can be written: the create input it round-trips to. */
const writable = (visitor: Visitor) =>
  withoutNulls({
    registrationState: visitor.registrationState,
    registrationTypeId: visitor.registrationTypeId,
    reference: visitor.reference,
    contact: visitor.contact,
    answers: visitor.answers,
  });

let create: { json: CompiledRoute; xml: CompiledRoute };
before(async () => {
  const schema = await graphqlSchema();
  const compile = (dialect: typeof V1_JSON) =>
    compileRoutes(schema, { dialect, routes: ROUTES }).find(
      (route) => route.operation === "CompatCreateVisitor",
    )!;
  create = { json: compile(V1_JSON), xml: compile(V1_XML) };
});

describe("the REST field model, in process", () => {
  it("compiles every route of the table to one named operation, valid against the schema", async () => {
    const routes = compileRoutes(await graphqlSchema(), { dialect: V1_JSON, routes: ROUTES });
    assert.deepEqual(
      routes.map((route) => route.operation),
      ROUTES.map((route) => route.operation),
    );
    for (const route of routes) {
      assert.equal(route.document.definitions.length, 1, route.operation);
      assert.match(route.query, new RegExp(`^(query|mutation) ${route.operation}\\b`));
    }
  });

  it("spells every field and enum value of the schema both ways, by rule", async () => {
    const schema = await graphqlSchema();
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      if (isObjectType(type) || isInputObjectType(type)) {
        for (const name of Object.keys(type.getFields())) {
          assert.match(toKebab(name), /^[a-z0-9]+(-[a-z0-9]+)*$/, name);
          assert.equal(toCamel(toKebab(name)), name);
        }
      }
      if (isEnumType(type)) {
        for (const { name } of type.getValues()) assert.equal(enumFromRest(enumToRest(name)), name);
      }
    }
    assert.equal(enumToRest("PENDING_CONFIRMATION"), "pending-confirmation");
    assert.deepEqual(["answers", "answer-ids", "staff", "registration-types"].map(singular), [
      "answer",
      "answer-id",
      "member",
      "registration-type",
    ]);
  });

  it("reads back every visitor it renders, in XML and in JSON (property)", () => {
    fc.assert(
      fc.property(anyVisitor, (visitor) => {
        const rest = toRest(visitor, create.json.recordShape, V1_JSON)!;
        const fromXml = bodyInput(create.xml, renderXml("visitor", rest));
        const fromJson = bodyInput(create.json, JSON.stringify(rest));
        const expected = writable(visitor);
        assert.deepEqual(fromXml, expected);
        assert.deepEqual(fromJson, expected);
      }),
      { numRuns: 500 },
    );
  });

  it("replaces characters XML 1.0 cannot carry with U+FFFD and stays well-formed", async () => {
    const rest = toRest(
      { ...fc.sample(anyVisitor, 1)[0], reference: "bell\u0007 nul\u0000 end" },
      create.xml.recordShape,
      V1_XML,
    )!;
    const xml = renderXml("visitor", rest);
    assert.match(xml, /<reference>bell\ufffd nul\ufffd end<\/reference>/);
    await assertValidXml(xml, "visitor.xsd");
  });
});

describe("GraphQL -> XML -> parse -> GraphQL, through the running server", () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it("keeps any valid visitor unchanged (property)", async () => {
    const event = await createEvent(t);
    const choice = await createQuestion(t, event.id, "MULTIPLE_CHOICE", ["A", "B", "C"]);
    const text = await createQuestion(t, event.id, "TEXT");
    const type = await createRegistrationType(t, event.id, "VISITOR");
    // What the services accept: trimmed texts up to 200 characters, a real email address.
    const field = nullable(trickyText.map((value) => value.trim().slice(0, 200)));
    const validVisitor = fc.record({
      registrationState: fc.constantFrom(...REGISTRATION_STATES),
      registrationTypeId: fc.constantFrom(null, type),
      reference: field,
      contact: fc.record({
        firstName: field,
        lastName: field,
        email: nullable(
          fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z0-9]{1,8})?$/).map((local) => `${local}@example.test`),
        ),
        company: field,
        jobTitle: field,
        phone: field,
        reference: field,
        address: nullable(fc.record({ street: field, postalCode: field, city: field, country: field })),
      }),
      answers: fc
        .tuple(
          fc.option(
            fc.subarray(
              choice.answers.map((answer) => answer.id),
              { minLength: 1 },
            ),
          ),
          fc.option(trickyText),
        )
        .map(([answerIds, answer]) => [
          ...(answerIds ? [{ questionId: choice.id, answerIds }] : []),
          ...(answer !== null ? [{ questionId: text.id, text: answer }] : []),
        ]),
    });
    const read = async (id: string) =>
      (
        await t.ok<{ visitor: Visitor }>(
          `query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR_FIELDS} } }`,
          { eventId: event.id, id },
        )
      ).visitor;

    await fc.assert(
      fc.asyncProperty(validVisitor, async (input) => {
        const created = await t.ok<{ createVisitor: { id: string } }>(
          "mutation($eventId: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $eventId, input: $input) { id } }",
          { eventId: event.id, input },
        );
        const original = await read(created.createVisitor.id);
        const xml = (await restOk(t, "GET", `/xml/visitors/${event.id}/${original.id}`, 200)).text;
        const copy = (await restOk(t, "POST", `/xml/visitors/${event.id}`, 201, { body: xml })).text;
        const copyId = /<id>([^<]+)<\/id>/.exec(copy)![1]!;
        const { id: _a, revision: _b, createdAt: _c, updatedAt: _d, ...expected } = original;
        const { id: _e, revision: _f, createdAt: _g, updatedAt: _h, ...actual } = await read(copyId);
        assert.deepEqual(actual, expected);
      }),
      { numRuns: 60 },
    );
  });
});
