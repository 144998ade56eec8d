import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { isEnumType, isInputObjectType, isObjectType } from "graphql";
import { type CompiledRoute, compileRoutes } from "@/compat/compiled-route.js";
import { V1_JSON, V1_XML } from "@/compat/dialect.js";
import { enumFromRest, enumToRest, singular, toCamel, toKebab } from "@/compat/kebab-case.js";
import { bodyInput } from "@/compat/request-input.js";
import { toRest } from "@/compat/rest-model.js";
import { ROUTES } from "@/compat/route-table.js";
import { renderXml } from "@/compat/xml-render.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import { createEvent, createQuestion, createRegistrationType, VISITOR_FIELDS } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { anyVisitor, type Visitor, validVisitorInput, writable } from "./arbitraries.js";
import { assertValidXml, restOk } from "./support.js";

let create: { json: CompiledRoute; xml: CompiledRoute };
before(async () => {
  const schema = await graphqlSchema();
  const compile = (dialect: typeof V1_JSON) =>
    must(
      compileRoutes(schema, { dialect, routes: ROUTES }).find(
        (route) => route.operation === "CompatCreateVisitor",
      ),
      "the CompatCreateVisitor route",
    );
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
        const rest = must(toRest(visitor, create.json.recordShape, V1_JSON), "the visitor in REST form");
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
    const rest = must(
      toRest(
        { ...fc.sample(anyVisitor, 1)[0], reference: "bell\u0007 nul\u0000 end" },
        create.xml.recordShape,
        V1_XML,
      ),
      "the visitor in REST form",
    );
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
    const validVisitor = validVisitorInput({ choice, text, type });
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
        const copyId = must(/<id>([^<]+)<\/id>/.exec(copy), "the copy's <id>")[1];
        const { id: _a, revision: _b, createdAt: _c, updatedAt: _d, ...expected } = original;
        const { id: _e, revision: _f, createdAt: _g, updatedAt: _h, ...actual } = await read(copyId);
        assert.deepEqual(actual, expected);
      }),
      { numRuns: 60 },
    );
  });
});
