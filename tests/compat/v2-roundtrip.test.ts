import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { isEnumType } from "graphql";
import { type CompiledRoute, compileRoutes } from "@/compat/compiled-route.js";
import { V1_JSON, V2 } from "@/compat/dialect.js";
import { bodyInput } from "@/compat/request-input.js";
import { toRest } from "@/compat/rest-model.js";
import { ROUTES, V2_ROUTES } from "@/compat/route-table.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import { createEvent, createQuestion, createRegistrationType, VISITOR_FIELDS } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { anyVisitor, type Visitor, validVisitorInput, writable } from "./arbitraries.js";
import { restOk } from "./support.js";

let create: CompiledRoute;
before(async () => {
  const routes = compileRoutes(await graphqlSchema(), { dialect: V2, routes: V2_ROUTES });
  create = must(
    routes.find((route) => route.operation === "V2CreateVisitor"),
    "the V2CreateVisitor route",
  );
});

describe("the v2 field model, in process", () => {
  it("compiles every v2 route to one named operation, valid against the schema", async () => {
    const routes = compileRoutes(await graphqlSchema(), { dialect: V2, routes: V2_ROUTES });
    assert.deepEqual(
      routes.map((route) => route.operation),
      V2_ROUTES.map((route) => route.operation),
    );
    for (const route of routes)
      assert.match(route.query, new RegExp(`^(query|mutation) ${route.operation}\\b`));
  });

  it("spells every enum value in lower camelCase, reads it back, and takes upper case too", async () => {
    const schema = await graphqlSchema();
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isEnumType(type) || type.name.startsWith("__")) continue;
      const spelled = type.getValues().map((value) => V2.enumToRest(value.name));
      assert.equal(new Set(spelled).size, spelled.length, `${type.name}: distinct spellings`);
      for (const { name } of type.getValues()) {
        const camel = V2.enumToRest(name);
        assert.match(camel, /^[a-z][a-zA-Z0-9]*$/, name);
        assert.equal(V2.enumFromRest(camel, type), name);
        assert.equal(V2.enumFromRest(name, type), name);
        assert.equal(V2.enumFromRest(V1_JSON.enumToRest(name), type) === name, !name.includes("_"), name);
      }
    }
    assert.equal(V2.enumToRest("PENDING_CONFIRMATION"), "pendingConfirmation");
  });

  it("reads back every visitor it renders (property)", () => {
    fc.assert(
      fc.property(anyVisitor, (visitor) => {
        const rest = must(toRest(visitor, create.recordShape, V2), "toRest(visitor, create.recordShape, V2)");
        assert.deepEqual(bodyInput(create, JSON.stringify(rest)), writable(visitor));
      }),
      { numRuns: 500 },
    );
  });
});

describe("GraphQL -> v2 -> GraphQL, and v2 against v1, through the running server", () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it("keeps any valid visitor unchanged, and shows it the same through v1 JSON (property)", async () => {
    const event = await createEvent(t);
    const choice = await createQuestion(t, event.id, "MULTIPLE_CHOICE", ["A", "B", "C"]);
    const text = await createQuestion(t, event.id, "TEXT");
    const type = await createRegistrationType(t, event.id, "VISITOR");
    const read = async (id: string) =>
      (
        await t.ok<{ visitor: Visitor }>(
          `query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR_FIELDS} } }`,
          { eventId: event.id, id },
        )
      ).visitor;
    const v1Create = must(
      compileRoutes(await graphqlSchema(), { dialect: V1_JSON, routes: ROUTES }).find(
        (route) => route.operation === "CompatCreateVisitor",
      ),
      "the CompatCreateVisitor route",
    );
    const v1Of = async (id: string) =>
      JSON.parse((await restOk(t, "GET", `/json/visitors/${event.id}/${id}`, 200)).text);

    await fc.assert(
      fc.asyncProperty(validVisitorInput({ choice, text, type }), async (input) => {
        const created = await t.ok<{ createVisitor: { id: string } }>(
          "mutation($eventId: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $eventId, input: $input) { id } }",
          { eventId: event.id, input },
        );
        const original = await read(created.createVisitor.id);
        const document = (await restOk(t, "GET", `/create/v2/visitors/${event.id}/${original.id}`, 200)).text;
        const copied = (await restOk(t, "POST", `/create/v2/visitors/${event.id}`, 201, { body: document }))
          .text;
        const copyId = JSON.parse(copied).id as string;

        const { id: _a, revision: _b, createdAt: _c, updatedAt: _d, ...expected } = original;
        const { id: _e, revision: _f, createdAt: _g, updatedAt: _h, ...actual } = await read(copyId);
        assert.deepEqual(actual, expected);
        // v1 shows the v2 copy as it shows the original, and both as v1's reading of GraphQL's record.
        const strip = ({
          id: _i,
          revision: _r,
          "created-at": _c,
          "updated-at": _u,
          ...rest
        }: Record<string, unknown>) => rest;
        const v1Original = await v1Of(original.id as string);
        assert.deepEqual(strip(await v1Of(copyId)), strip(v1Original));
        assert.deepEqual(v1Original, toRest(original, v1Create.recordShape, V1_JSON));
      }),
      { numRuns: 40 },
    );
  });
});
