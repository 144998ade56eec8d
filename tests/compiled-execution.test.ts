/**
 * Operations run as functions compiled by graphql-jit, compiled once per document and operation
 * (issue 11); what graphql-jit cannot compile, and operations the argument guard must watch field
 * by field, run on graphql-js with the same answer.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { execute, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from "graphql";
import { CompiledExecution } from "@/src/graphql/compiled-execution.js";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { createEvent, createVisitor } from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
let eventId: string;
let visitorId: string;
before(async () => {
  t = await startApp();
  eventId = (await createEvent(t)).id;
  visitorId = (await createVisitor(t, eventId)).id;
});
after(() => t.close());

const VISITOR =
  "query CompiledVisitor($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { id contact { email } } }";

describe("compiled execution", () => {
  it("compiles a document once and runs it compiled on every later request", async () => {
    const before = { ...t.app.execution.counts };
    for (let i = 0; i < 3; i++) {
      const data = await t.ok<{ visitor: { id: string } }>(VISITOR, { eventId, id: visitorId });
      assert.equal(data.visitor.id, visitorId);
    }
    const after = t.app.execution.counts;
    assert.equal(after.compilations - before.compilations, 1, "one compilation for three requests");
    assert.equal(after.compiled - before.compiled, 3);
    assert.equal(after.fallback - before.fallback, 0);
  });

  it("runs an operation with an impossible id on graphql-js, where the argument guard answers NOT_FOUND", async () => {
    const before = { ...t.app.execution.counts };
    const result = await t.gql(VISITOR, { eventId, id: "x".repeat(500) });
    assert.equal(result.errors?.[0]?.extensions?.code, "NOT_FOUND");
    assert.deepEqual(result.errors?.[0]?.path, ["visitor"]);
    assert.equal(t.app.execution.counts.fallback - before.fallback, 1);
    assert.equal(t.app.execution.counts.compiled - before.compiled, 0);
  });

  it("keeps a resolver's error, its path and its code on the compiled path", async () => {
    const before = { ...t.app.execution.counts };
    const result = await t.gql(VISITOR, { eventId, id: "unknown0000000000000" });
    assert.equal(result.status, 404);
    assert.equal(result.errors?.[0]?.extensions?.code, "NOT_FOUND");
    assert.deepEqual(result.errors?.[0]?.path, ["visitor"]);
    assert.equal(t.app.execution.counts.compiled - before.compiled, 1);
  });
});

describe("the graphql-js fallback over HTTP", () => {
  it("answers a document graphql-jit cannot compile (it lacks the operation named) as before: 400 BAD_REQUEST", async () => {
    const before = { ...t.app.execution.counts };
    const response = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.admin.token}` },
      body: JSON.stringify({
        query: VISITOR,
        operationName: "Elsewhere",
        variables: { eventId, id: visitorId },
      }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(response.status, 400);
    assert.equal(body.errors[0]?.extensions.code, "BAD_REQUEST");
    assert.equal(t.app.execution.counts.fallback - before.fallback, 1);
  });
});

describe("the graphql-js fallback", () => {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: "Query",
      fields: { greeting: { type: new GraphQLNonNull(GraphQLString), resolve: () => "hello" } },
    }),
  });

  it("answers what graphql-jit cannot compile (an operation the document lacks) through graphql-js, compiling it once", async () => {
    const execution = new CompiledExecution(schema, schema, () => false);
    const document = parse("query Greeting { greeting }");
    const request = {
      document,
      queryHash: "greeting",
      operationName: "Farewell",
      contextValue: {} as GraphQLContext,
    };
    const expected = execute({ schema, document, operationName: "Farewell" });
    for (let i = 0; i < 2; i++) {
      const result = await execution.execute(request);
      assert.deepEqual(JSON.parse(JSON.stringify(result)), JSON.parse(JSON.stringify(expected)));
    }
    assert.match(JSON.stringify(expected), /Unknown operation named/);
    assert.deepEqual(execution.counts, { compiled: 0, fallback: 2, compilations: 1 });
  });

  it("keeps at most the given number of compiled documents, dropping the least recently used", async () => {
    const execution = new CompiledExecution(schema, schema, () => false, 2);
    const run = (hash: string) =>
      execution.execute({
        document: parse("{ greeting }"),
        queryHash: hash,
        contextValue: {} as GraphQLContext,
      });
    await run("a");
    await run("b");
    await run("a");
    await run("c"); // drops b, the least recently used
    await run("a");
    assert.equal(execution.counts.compilations, 3);
    await run("b");
    assert.equal(execution.counts.compilations, 4);
    assert.equal(execution.counts.compiled, 6);
  });
});
