import { must } from "./support/must.js";
/**
 * An id no record can have (holding a NUL, or longer than any id) is an unknown id on every surface:
 * 404 / NOT_FOUND, answered without asking the database (issue 9). A NUL in a list filter is not an
 * id but a malformed filter: 422 naming the parameter as the caller spelt it.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertValidXml, rest } from "./compat/support.js";
import { createApiKey, createEvent, createVisitor, failure } from "./support/factories.js";
import { type GqlResult, startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
let eventId: string;
let visitorId: string;
before(async () => {
  t = await startApp({ STATS_FLUSH_MS: "60000" });
  eventId = (await createEvent(t)).id;
  visitorId = (await createVisitor(t, eventId)).id;
});
after(() => t.close());

const IMPOSSIBLE = { nul: "abc\u0000def", overlong: "a".repeat(21), huge: "b".repeat(4_000) };
const FORMATS = ["json", "xml"] as const;

/** SQL statements a call causes (authentication's own included). */
async function statementsOf(call: () => Promise<unknown>): Promise<number> {
  const before = t.app.database.stats.queries;
  await call();
  return t.app.database.stats.queries - before;
}

async function expectRestError(format: "json" | "xml", method: string, path: string, status: number) {
  const response = await rest(t, method, path, {
    ...(method === "PUT" && { body: format === "json" ? "{}" : "<visitor/>" }),
  });
  assert.equal(response.status, status, `${method} ${path}: ${response.text}`);
  if (format === "json") {
    assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
    return JSON.parse(response.text) as { errorCode: string; errors: { field: string; error: string }[] };
  }
  await assertValidXml(response.text, "error.xsd");
  const field = /<field>([^<]*)<\/field>/.exec(response.text)?.[1];
  return {
    errorCode: /<error-code>([^<]*)<\/error-code>/.exec(response.text)?.[1],
    errors: field ? [{ field, error: "" }] : [],
  };
}

describe("impossible ids on REST JSON and XML", () => {
  it("answers a NUL or overlong record id with 404, as an unknown id", async () => {
    for (const format of FORMATS) {
      for (const [kind, id] of Object.entries(IMPOSSIBLE)) {
        for (const method of ["GET", "PUT", "DELETE"]) {
          const path = `/${format}/visitors/${eventId}/${encodeURIComponent(id)}`;
          const error = await expectRestError(format, method, path, 404);
          assert.equal(error.errorCode, "NOT_FOUND", `${format} ${method} ${kind}`);
        }
      }
    }
    // The record that does exist was left alone.
    assert.equal((await rest(t, "GET", `/json/visitors/${eventId}/${visitorId}`)).status, 200);
  });

  it("answers a NUL or overlong event id with 404", async () => {
    for (const format of FORMATS) {
      for (const id of Object.values(IMPOSSIBLE)) {
        for (const path of ["visitors", "partners", "events", "registration-types"]) {
          const error = await expectRestError(
            format,
            "GET",
            `/${format}/${path}/${encodeURIComponent(id)}`,
            404,
          );
          assert.equal(error.errorCode, "NOT_FOUND", `${format} ${path}`);
        }
      }
    }
  });

  it("answers a NUL in the registrationTypes filter with 422 naming the parameter", async () => {
    for (const format of FORMATS) {
      const error = await expectRestError(
        format,
        "GET",
        `/${format}/visitors/${eventId}?registrationTypes=a%00b`,
        422,
      );
      assert.equal(error.errorCode, "BAD_USER_INPUT");
      assert.deepEqual(
        error.errors.map((item) => item.field),
        ["registrationTypes"],
      );
    }
  });
});

describe("impossible ids in GraphQL", () => {
  const VISITOR = "query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { id } }";
  const DELETE = "mutation($e: ID!, $id: ID!) { deleteVisitor(eventId: $e, id: $id) { id } }";

  it("answers them NOT_FOUND on the field that names them, without asking the database", async () => {
    const authentication = await statementsOf(() => t.gql("{ __typename }"));
    for (const id of Object.values(IMPOSSIBLE)) {
      for (const [query, variables] of [
        [VISITOR, { e: eventId, id }],
        [VISITOR, { e: id, id: visitorId }],
        [DELETE, { e: eventId, id }],
        ["query($id: ID!) { event(id: $id) { id } }", { id }],
      ] as const) {
        let answered: GqlResult | undefined;
        const statements = await statementsOf(async () => {
          answered = await t.gql(query, variables);
        });
        const result = must(answered, "the query's result");
        assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"], JSON.stringify(result));
        assert.equal(must(result.errors, "result.errors")[0].path?.length, 1);
        assert.equal(statements, authentication, query);
      }
    }
    assert.equal((await t.gql(VISITOR, { e: eventId, id: visitorId })).status, 200);
  });

  it("answers an impossible id written in the document itself NOT_FOUND", async () => {
    const result = await t.gql(`{ event(id: "${"x".repeat(30)}") { id } }`);
    assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"]);
  });

  it("answers a NUL in a filter or an input's id with 422 naming the field", async () => {
    const list = await t.gql(
      "query($e: ID!, $f: VisitorFilter) { visitors(eventId: $e, filter: $f) { edges { cursor } } }",
      { e: eventId, f: { contactReference: "crm\u0000", registrationTypeIds: ["ok", "no\u0000"] } },
    );
    assert.deepEqual(
      [list.status, failure(list).code, failure(list).fields],
      [422, "BAD_USER_INPUT", ["filter.contactReference", "filter.registrationTypeIds.1"]],
    );
    const create = await t.gql(
      "mutation($e: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $e, input: $input) { id } }",
      { e: eventId, input: { registrationTypeId: "type\u0000" } },
    );
    assert.deepEqual(
      [create.status, failure(create).code, failure(create).fields],
      [422, "BAD_USER_INPUT", ["registrationTypeId"]],
    );
  });
});

describe("impossible keys of endpoint functions", () => {
  it("answers a key holding a NUL with 404 problem+json", async () => {
    const key = await createApiKey(t);
    const response = await t.fetch("/functions/abc%00def", {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    assert.equal(response.status, 404);
    assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.equal(((await response.json()) as { errorCode: string }).errorCode, "NOT_FOUND");
  });
});
