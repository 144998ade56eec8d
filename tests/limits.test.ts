import { must } from "./support/must.js";
/**
 * Query depth, aliases, size and cost are bounded, and a query over a bound is refused before it runs
 * (SPEC section 4); internal errors never reach a client.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import { getIntrospectionQuery } from "graphql";
import { createEvent, failure } from "./support/factories.js";
import { type GqlResult, startApp, type TestApp } from "./support/harness.js";

// No background usage flush during a measurement: only the request's own statements are counted.
const QUIET = { STATS_FLUSH_MS: "60000" };

/** What GraphiQL sends to learn the schema. */
const FULL_INTROSPECTION = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
});

/** `count` aliases of `selection` at the root. */
const aliased = (count: number, selection: string) =>
  `{ ${Array.from({ length: count }, (_, n) => `a${n}: ${selection}`).join("\n")} }`;

/** Fragments that each spread the next one twice: 2^levels selections once expanded, in a few lines. */
function fragmentBomb(levels: number): string {
  const fragments = Array.from(
    { length: levels },
    (_, n) => `fragment F${n} on Query { ...F${n + 1} ...F${n + 1} }`,
  );
  return `{ ...F0 }\n${fragments.join("\n")}\nfragment F${levels} on Query { __typename }`;
}

/** An introspection query exactly `depth` fields deep (the schema's own types nest only ~6 levels). */
function nestedQuery(depth: number): string {
  const inner = `${"ofType { ".repeat(depth - 4)}name${" }".repeat(depth - 4)}`;
  return `{ __type(name: "Visitor") { fields { type { ${inner} } } } }`;
}

/** `count` aliases of one full page of visitors: each costs 1 + 100 x (edges + node + id + contact + email). */
function pagesQuery(count: number, first = "first: 100"): string {
  const pages = Array.from(
    { length: count },
    (_, n) => `p${n}: visitors(eventId: $e, ${first}) { edges { node { id contact { email } } } }`,
  );
  return `query($e: ID!) { ${pages.join("\n")} }`;
}

/** Sends a request and counts the SQL statements it caused. */
async function measure(t: TestApp, query: string, variables: Record<string, unknown> = {}) {
  const before = t.app.database.stats.queries;
  const result = await t.gql(query, variables);
  return { result, statements: t.app.database.stats.queries - before };
}

/** Refused as a whole, with the code and reason; the HTTP status is asserted separately. */
function assertRefused(result: GqlResult, reason: string) {
  assert.equal(result.data ?? null, null);
  const error = result.errors?.[0];
  assert.equal(error?.extensions?.code, "GRAPHQL_VALIDATION_FAILED");
  assert.equal(error?.extensions?.reason, reason);
}

describe("default limits", () => {
  let t: TestApp;
  let eventId: string;
  /** What authenticating a request costs: a refused query may cost that much and no more. */
  let baseline: number;
  before(async () => {
    t = await startApp(QUIET);
    eventId = (await createEvent(t)).id;
    baseline = (await measure(t, "{ __typename }")).statements;
  });
  after(() => t.close());

  it("answers GraphiQL's full introspection query (15 deep) under the default limits", async () => {
    const { result } = await measure(t, FULL_INTROSPECTION);
    assert.equal(result.status, 200);
    assert.equal(result.errors, undefined);
  });

  it("does not count introspection toward the depth: a type reference 30 deep passes", async () => {
    const { result } = await measure(t, nestedQuery(30));
    assert.equal(result.status, 200);
    assert.equal(result.errors, undefined);
  });

  it("refuses 1,400 aliased __schema introspections with 400 QUERY_TOO_COMPLEX, without credentials, before anything runs", async () => {
    const before = t.app.database.stats.queries;
    const result = await t.gql(
      aliased(1_400, "__schema { types { name fields { name type { name } } } }"),
      {},
      {
        as: null,
      },
    );
    assert.equal(result.status, 400);
    assertRefused(result, "QUERY_TOO_COMPLEX");
    assert.equal(t.app.database.stats.queries, before);
  });

  it("refuses more than GRAPHQL_MAX_ALIASES (100) aliases with 400 QUERY_TOO_COMPLEX", async () => {
    const hundred = await measure(t, aliased(100, "__typename"));
    assert.equal(hundred.result.status, 200);
    assert.equal(hundred.result.errors, undefined);
    const more = await measure(t, aliased(101, "__typename"));
    assert.equal(more.result.status, 400);
    assertRefused(more.result, "QUERY_TOO_COMPLEX");
    assert.match(must(more.result.errors, "more.result.errors")[0].message, /100 aliases/);
    assert.equal(more.statements, baseline);
  });

  it("answers __schema once per operation", async () => {
    const once = await measure(t, "{ __schema { queryType { name } } }");
    assert.equal(once.result.status, 200);
    const twice = await measure(t, aliased(2, "__schema { queryType { name } }"));
    assert.equal(twice.result.status, 400);
    assertRefused(twice.result, "QUERY_TOO_COMPLEX");
    assert.match(must(twice.result.errors, "twice.result.errors")[0].message, /__schema/);
  });

  it("refuses fragments that expand to more than 10,000 selections with 400 QUERY_TOO_COMPLEX, without expanding them", async () => {
    // 2^40 selections: counted per fragment, never walked one by one.
    const { result, statements } = await measure(t, fragmentBomb(40));
    assert.equal(result.status, 400);
    assertRefused(result, "QUERY_TOO_COMPLEX");
    assert.match(must(result.errors, "result.errors")[0].message, /10000 selections/);
    assert.equal(statements, baseline);
  });

  it("stops parsing a document of more than 50,000 tokens with 400, naming the limit", async () => {
    const result = await t.gql(`{ ${"__typename ".repeat(50_001)}}`);
    assert.deepEqual([result.status, failure(result).code], [400, "GRAPHQL_PARSE_FAILED"]);
    assert.match(must(result.errors, "result.errors")[0].message, /50000 tokens/);
  });

  it("runs one full page of visitors", async () => {
    const { result } = await measure(t, pagesQuery(1), { e: eventId });
    assert.equal(result.status, 200);
    assert.equal(result.errors, undefined);
  });

  it("refuses a document aliasing visitors(first: 100) 25 times with 400 QUERY_TOO_COMPLEX, before it runs", async () => {
    const { result, statements } = await measure(t, pagesQuery(25), { e: eventId });
    assert.equal(result.status, 400);
    assertRefused(result, "QUERY_TOO_COMPLEX");
    assert.equal(statements, baseline);
  });

  it("counts a page without `first` as a full page", async () => {
    const { result } = await measure(t, pagesQuery(25, ""), { e: eventId });
    assertRefused(result, "QUERY_TOO_COMPLEX");
  });

  it("prices small pages by their size", async () => {
    const { result } = await measure(t, pagesQuery(25, "first: 5"), { e: eventId });
    assert.equal(result.status, 200);
    assert.equal(result.errors, undefined);
  });

  it("lets a cheap, shallow query fail for its own reason (401 without credentials)", async () => {
    const result = await t.gql("{ events { id } }", {}, { as: null });
    assert.deepEqual([result.status, failure(result).code], [401, "UNAUTHENTICATED"]);
  });

  it("answers a NUL character in an id with 404 NOT_FOUND, as an unknown id, not a database failure", async () => {
    const { result, statements } = await measure(
      t,
      "query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { id } }",
      { e: eventId, id: "broken\u0000id" },
    );
    assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"]);
    assert.deepEqual(must(result.errors, "result.errors")[0].path, ["visitor"]);
    assert.doesNotMatch(JSON.stringify(result.errors), /select|byte sequence|UTF8/i);
    assert.equal(statements, baseline);
  });

  it("masks an internal error: no SQL, no stack, only the request id", async () => {
    // A real failure inside a query: the table the query reads is gone. (A closed or unreachable
    // database is an outage, answered 503: see tests/outage/.)
    const broken = await startApp(QUIET);
    try {
      await broken.app.database.db.execute(sql`ALTER TABLE events RENAME TO events_gone`);
      const response = await broken.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${broken.admin.token}` },
        body: JSON.stringify({ query: "{ events { id name } }" }),
      });
      const text = await response.text();
      const body = JSON.parse(text) as GqlResult;
      assert.equal(response.status, 500);
      assert.equal(body.errors?.[0]?.extensions?.code, "INTERNAL_SERVER_ERROR");
      assert.deepEqual(Object.keys(body.errors?.[0]?.extensions ?? {}), ["code"]);
      assert.match(body.errors[0].message, /X-Request-Id/);
      assert.ok(response.headers.get("x-request-id"));
      assert.doesNotMatch(text, /select|insert|events_gone|Failed query|params|closed|PGlite|postgres/i);
      assert.doesNotMatch(text, /\.(ts|js):\d+|node_modules|stack/i);
    } finally {
      await broken.close();
    }
  });
});

describe("configured limits", () => {
  let t: TestApp;
  let eventId: string;
  let baseline: number;
  before(async () => {
    t = await startApp({
      ...QUIET,
      GRAPHQL_MAX_DEPTH: "3",
      GRAPHQL_MAX_COST: "200",
      GRAPHQL_MAX_ALIASES: "2",
    });
    eventId = (await createEvent(t)).id;
    baseline = (await measure(t, "{ __typename }")).statements;
  });
  after(() => t.close());

  it("honours GRAPHQL_MAX_DEPTH=3: an ordinary query 4 deep is refused with 400 QUERY_TOO_DEEP, before it runs", async () => {
    const shallow = await measure(t, "{ events { id } }");
    assert.equal(shallow.result.status, 200);
    const deep = await measure(t, "query($e: ID!) { visitors(eventId: $e) { edges { node { id } } } }", {
      e: eventId,
    });
    assert.equal(deep.result.status, 400);
    assertRefused(deep.result, "QUERY_TOO_DEEP");
    assert.match(must(deep.result.errors, "deep.result.errors")[0].message, /depth 4 exceeds the limit of 3/);
    assert.equal(deep.statements, baseline);
  });

  it("still measures ordinary fields around introspection", async () => {
    const introspection = await measure(t, nestedQuery(10));
    assert.equal(introspection.result.status, 200);
    const mixed = await measure(t, `{ events { id } ${nestedQuery(10).slice(1, -1)} }`);
    assert.equal(mixed.result.status, 200);
    const deep = await measure(t, "{ events { questions { answers { id } } } __typename }");
    assertRefused(deep.result, "QUERY_TOO_DEEP");
  });

  it("follows fragments and inline fragments when measuring depth", async () => {
    const named = await measure(
      t,
      `query($e: ID!) { ...Feed }
       fragment Feed on Query { visitors(eventId: $e) { edges { ...Edge } } }
       fragment Edge on VisitorEdge { node { id } }`,
      { e: eventId },
    );
    assertRefused(named.result, "QUERY_TOO_DEEP");
    const inline = await measure(
      t,
      "query($e: ID!) { ... on Query { visitors(eventId: $e) { edges { node { id } } } } }",
      {
        e: eventId,
      },
    );
    assertRefused(inline.result, "QUERY_TOO_DEEP");
    assert.equal(inline.statements, baseline);
  });

  it("honours GRAPHQL_MAX_COST=200", async () => {
    const small = await measure(
      t,
      "query($e: ID!) { visitors(eventId: $e, first: 10) { edges { cursor } } }",
      {
        e: eventId,
      },
    );
    assert.equal(small.result.status, 200);
    const large = await measure(
      t,
      "query($e: ID!) { visitors(eventId: $e, first: 100) { edges { cursor } } }",
      {
        e: eventId,
      },
    );
    assert.equal(large.result.status, 400);
    assertRefused(large.result, "QUERY_TOO_COMPLEX");
    assert.equal(large.statements, baseline);
  });

  it("honours GRAPHQL_MAX_ALIASES=2", async () => {
    assert.equal((await measure(t, aliased(2, "__typename"))).result.status, 200);
    const three = await measure(t, aliased(3, "__typename"));
    assertRefused(three.result, "QUERY_TOO_COMPLEX");
    assert.equal(three.statements, baseline);
  });

  it("counts introspection fields toward the cost: the full introspection query (229) is over 200", async () => {
    const result = await t.gql(FULL_INTROSPECTION);
    assert.equal(result.status, 400);
    assertRefused(result, "QUERY_TOO_COMPLEX");
    assert.match(must(result.errors, "result.errors")[0].message, /cost 229 exceeds the limit of 200/);
  });

  it("prices a page size given as a variable", async () => {
    const query = "query($e: ID!, $n: Int) { visitors(eventId: $e, first: $n) { edges { cursor } } }";
    assert.equal((await measure(t, query, { e: eventId, n: 10 })).result.status, 200);
    assertRefused((await measure(t, query, { e: eventId, n: 100 })).result, "QUERY_TOO_COMPLEX");
  });
});
