import { must } from "./support/must.js";
/**
 * Request bodies are checked on their bytes before anything reads them (issue 10): invalid UTF-8 is
 * refused instead of stored with U+FFFD in place of the client's data, and JSON nested deeper than a
 * fixed bound is a 400 naming the bound, for GraphQL before authentication.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertValidXml, rest } from "./compat/support.js";
import { createEvent, failure } from "./support/factories.js";
import { type GqlResult, startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
let eventId: string;
before(async () => {
  t = await startApp();
  eventId = (await createEvent(t)).id;
});
after(() => t.close());

/** Bytes that are not UTF-8: a lone continuation byte and a truncated two-byte sequence. */
const INVALID = [Buffer.from([0x80]), Buffer.from([0xc3])];

/** `text` with the invalid bytes where `@` stands, as one request body. */
const withInvalidBytes = (text: string, bytes: Buffer) => {
  const [head, tail] = text.split("@");
  return Buffer.concat([Buffer.from(head), bytes, Buffer.from(tail)]);
};

async function postGraphql(body: string | Buffer, headers: Record<string, string> = {}): Promise<GqlResult> {
  const response = await t.fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

const asAdmin = () => ({ authorization: `Bearer ${t.admin.token}` });

const CREATE_VISITOR =
  "mutation($eventId: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $eventId, input: $input) { id reference } }";

async function references(): Promise<(string | null)[]> {
  const data = await t.ok<{ visitors: { edges: { node: { reference: string | null } }[] } }>(
    "query($e: ID!) { visitors(eventId: $e) { edges { node { reference } } } }",
    { e: eventId },
  );
  return data.visitors.edges.map((edge) => edge.node.reference);
}

/** JSON text nested `levels` deep (arrays), built as text: JSON.stringify itself would recurse. */
const nested = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;

describe("invalid UTF-8", () => {
  it("is refused with 400 on GraphQL, and nothing is stored", async () => {
    const text = JSON.stringify({
      query: CREATE_VISITOR,
      variables: { eventId, input: { reference: "x@y" } },
    });
    for (const bytes of INVALID) {
      const result = await postGraphql(withInvalidBytes(text, bytes), asAdmin());
      assert.deepEqual([result.status, failure(result).code], [400, "BAD_REQUEST"]);
      assert.match(must(result.errors, "result.errors")[0].message, /not valid UTF-8/);
    }
    assert.deepEqual(await references(), []);
  });

  it("is refused with 400 on REST JSON and XML, in each format's error document, and nothing is stored", async () => {
    const bodies = { json: '{"reference": "x@y"}', xml: "<visitor><reference>x@y</reference></visitor>" };
    for (const format of ["json", "xml"] as const) {
      for (const bytes of INVALID) {
        const response = await t.fetch(`/${format}/visitors/${eventId}`, {
          method: "POST",
          headers: { authorization: `Bearer ${t.admin.token}`, "content-type": `application/${format}` },
          body: withInvalidBytes(bodies[format], bytes),
        });
        const text = await response.text();
        assert.equal(response.status, 400, text);
        if (format === "json") {
          const problem = JSON.parse(text) as { errorCode: string; detail: string };
          assert.equal(problem.errorCode, "BAD_REQUEST");
          assert.match(problem.detail, /not valid UTF-8/);
        } else {
          await assertValidXml(text, "error.xsd");
          assert.match(text, /<error-code>BAD_REQUEST<\/error-code>/);
          assert.match(text, /not valid UTF-8/);
        }
      }
    }
    assert.deepEqual(await references(), []);
  });

  it("leaves valid UTF-8 and bodies declared in another charset as they are", async () => {
    const stored: string[] = [];
    const graphql = await t.ok<{ createVisitor: { reference: string } }>(CREATE_VISITOR, {
      eventId,
      input: { reference: "Zoë 🎟️ 東京" },
    });
    stored.push(graphql.createVisitor.reference);
    const json = await rest(t, "POST", `/json/visitors/${eventId}`, { body: '{"reference": "Zoë 🎟️ 東京"}' });
    assert.equal(json.status, 201, json.text);
    stored.push((JSON.parse(json.text) as { reference: string }).reference);
    // ISO-8859-1 declared: 0xEB is ë in that charset (and would be invalid as UTF-8).
    const latin1 = await t.fetch(`/xml/visitors/${eventId}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${t.admin.token}`,
        "content-type": "application/xml; charset=iso-8859-1",
      },
      body: withInvalidBytes("<visitor><reference>Zo@</reference></visitor>", Buffer.from([0xeb])),
    });
    assert.equal(latin1.status, 201, await latin1.clone().text());
    stored.push("Zoë");
    assert.deepEqual((await references()).sort(), stored.sort());
  });

  it("refuses a GraphQL body declared in another charset with 415: JSON is UTF-8", async () => {
    const result = await postGraphql(JSON.stringify({ query: "{ __typename }" }), {
      "content-type": "application/json; charset=iso-8859-1",
    });
    assert.deepEqual([result.status, failure(result).code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
  });
});

describe("deeply nested JSON", () => {
  const RUN = 'mutation($input: JSON) { runFunction(id: "nosuchfunction00000", input: $input) { id } }';

  it("answers variables nested 5,000 levels deep with 400 naming the limit, before authentication", async () => {
    const body = `{"query": ${JSON.stringify(RUN)}, "variables": {"input": ${nested(5_000)}}}`;
    const result = await postGraphql(body);
    assert.deepEqual([result.status, failure(result).code], [400, "BAD_REQUEST"]);
    assert.match(must(result.errors, "result.errors")[0].message, /deeper than 64 levels/);
  });

  it("reads a body nested exactly 64 levels (then asks for credentials), and refuses 65", async () => {
    // The body, its variables object and 62 arrays: 64 levels.
    const body = (arrays: number) =>
      `{"query": ${JSON.stringify(RUN)}, "variables": {"input": ${nested(arrays)}}}`;
    const fits = await postGraphql(body(62));
    assert.deepEqual([fits.status, failure(fits).code], [401, "UNAUTHENTICATED"]);
    const over = await postGraphql(body(63));
    assert.deepEqual([over.status, failure(over).code], [400, "BAD_REQUEST"]);
  });

  it("refuses over-deep variables of an in-process call (a function's visit.graphql) with BAD_REQUEST", async () => {
    let input: unknown = 1;
    for (let level = 0; level < 5_000; level++) input = [input];
    const outcome = await t.app.graphql({ query: RUN, variables: { input } }, { kind: "anonymous" }, "test");
    assert.equal(outcome.data, null);
    assert.equal(outcome.errors[0]?.extensions?.code, "BAD_REQUEST");
    assert.match(outcome.errors[0].message, /deeper than 64 levels/);
  });

  it("keeps REST's own bound of 32 levels, after authentication", async () => {
    const response = await rest(t, "POST", `/json/visitors/${eventId}`, {
      body: `{"answers": ${nested(40)}}`,
    });
    assert.equal(response.status, 400);
    assert.match(JSON.parse(response.text).detail, /deeper than 32 levels/);
    const anonymous = await rest(t, "POST", `/json/visitors/${eventId}`, { body: nested(5_000), as: null });
    assert.equal(anonymous.status, 401);
  });
});
