import { must } from "./support/must.js";
/**
 * One renderer builds every error body (src/errors/error-render.ts): GraphQL's `errors` entry,
 * problem+json and the XML error document carry the same content, and the REST layer reads a
 * GraphQL error from its extensions alone (issue 9).
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GraphQLError } from "graphql";
import { restFieldName } from "@/compat/error-render.js";
import { AppError, invalidInput } from "@/src/errors/app-error.js";
import { operationStatus, renderError } from "@/src/errors/error-render.js";
import { fromGraphQLError, toPublicError } from "@/src/errors/public-error.js";
import { assertValidXml, rest } from "./compat/support.js";
import { createEvent, failure } from "./support/factories.js";
import { type GqlResult, startApp, type TestApp } from "./support/harness.js";

describe("the renderer", () => {
  const refused = toPublicError(
    invalidInput([
      { field: "contact.email", message: "must be a valid email address" },
      { field: "answers.0.text", message: "must be at most 20000 characters & no <tags>" },
    ]),
  );

  it("says the same in every format: status, code, title, message and every field", async () => {
    const graphql = renderError(refused, "graphql");
    const problem = renderError(refused, "problem+json");
    const xml = renderError(refused, "xml");
    assert.deepEqual([graphql.status, problem.status, xml.status], [422, 422, 422]);
    assert.match(graphql.type, /^application\/json/);
    assert.match(problem.type, /^application\/problem\+json/);
    assert.match(xml.type, /^application\/xml/);

    const [entry] = (JSON.parse(graphql.body) as { errors: { message: string; extensions: object }[] })
      .errors;
    assert.deepEqual(entry, {
      message: "Invalid input: contact.email, answers.0.text",
      extensions: { code: "BAD_USER_INPUT", errors: refused.errors },
    });
    assert.deepEqual(JSON.parse(problem.body), {
      status: 422,
      title: "Validation failed",
      errorCode: "BAD_USER_INPUT",
      detail: "Invalid input: contact.email, answers.0.text",
      errors: refused.errors.map((item) => ({ field: item.field, error: item.message })),
    });
    await assertValidXml(xml.body, "error.xsd");
    assert.match(xml.body, /<error-code>BAD_USER_INPUT<\/error-code>/);
    assert.match(xml.body, /<title>Validation failed<\/title>/);
    assert.match(
      xml.body,
      /<field>answers\.0\.text<\/field>\s*<message>must be at most 20000 characters &amp; no &lt;tags&gt;<\/message>/,
    );
  });

  it("sends Retry-After, the reason and details wherever they apply", () => {
    const limited = toPublicError(new AppError("RATE_LIMITED", "Slow down", { retryAfter: 9 }));
    for (const format of ["graphql", "problem+json", "xml"] as const) {
      assert.deepEqual(renderError(limited, format).headers, { "Retry-After": "9" });
    }
    const denied = toPublicError(
      new AppError("BAD_GATEWAY", "The function failed (FAILED)", { details: { runId: "run1" } }),
    );
    assert.equal(JSON.parse(renderError(denied, "problem+json").body).runId, "run1");
    const forbidden = toPublicError(new AppError("FORBIDDEN", "No", { reason: "READ_ONLY_KEY" }));
    assert.match(renderError(forbidden, "xml").body, /<reason>READ_ONLY_KEY<\/reason>/);
    assert.equal(
      JSON.parse(renderError(forbidden, "graphql").body).errors[0].extensions.reason,
      "READ_ONLY_KEY",
    );
  });

  it("masks anything that is not a client error, in every format", () => {
    const masked = toPublicError(new Error('relation "visitors" does not exist'));
    for (const format of ["graphql", "problem+json", "xml"] as const) {
      const { status, body } = renderError(masked, format);
      assert.equal(status, 500);
      assert.doesNotMatch(body, /relation|visitors/);
      assert.match(body, /X-Request-Id/);
    }
  });
});

describe("reading a GraphQL error back (the REST layer)", () => {
  it("takes the code, reason, fields and Retry-After from the extensions, in the surface's spelling", () => {
    const formatted = {
      message: "Invalid input: input.contact.jobTitle, answers.0.questionId",
      extensions: {
        code: "BAD_USER_INPUT",
        errors: [
          { field: "input.contact.jobTitle", message: "String cannot represent a non string value: 5" },
          { field: "answers.0.questionId", message: "is not a question of this event" },
        ],
      },
    };
    const v1 = fromGraphQLError(formatted, restFieldName);
    assert.deepEqual(
      v1.errors.map((item) => item.field),
      ["contact.job-title", "answers.0.question-id"],
    );
    assert.equal(v1.message, "Invalid input: contact.job-title, answers.0.question-id");
    // A camelCase surface (REST v2) passes its own spelling; by default paths are GraphQL's.
    assert.deepEqual(
      fromGraphQLError(formatted).errors.map((item) => item.field),
      ["input.contact.jobTitle", "answers.0.questionId"],
    );
    const limited = fromGraphQLError({
      message: "Slow down",
      extensions: { code: "RATE_LIMITED", retryAfter: 3, reason: "ignored-but-kept" },
    });
    assert.deepEqual([limited.status, limited.retryAfter, limited.reason], [429, 3, "ignored-but-kept"]);
  });

  it("never reads the message: no code is a masked 500, no field list is no fields", () => {
    const message =
      'Variable "$input" got invalid value 5 at "input.contact.jobTitle"; String cannot represent it';
    const uncoded = fromGraphQLError({ message });
    assert.deepEqual([uncoded.status, uncoded.code], [500, "INTERNAL_SERVER_ERROR"]);
    assert.doesNotMatch(uncoded.message, /jobTitle/);
    const unlisted = fromGraphQLError({ message, extensions: { code: "BAD_USER_INPUT" } }, restFieldName);
    assert.deepEqual([unlisted.status, unlisted.errors], [422, []]);
  });

  it("gives a failed operation the status of its first error, and 200 whenever data came back", () => {
    const notFound = { message: "Visitor not found", extensions: { code: "NOT_FOUND" } };
    assert.equal(operationStatus({ data: null, errors: [notFound] }), 404);
    assert.equal(operationStatus({ data: { a: 1 }, errors: [notFound] }), 200);
    assert.equal(operationStatus({ data: { a: 1 } }), 200);
    assert.equal(
      operationStatus({ data: null, errors: [{ message: "?", extensions: { code: "NOPE" } }] }),
      500,
    );
  });

  it("maps Apollo's own request errors to BAD_REQUEST rather than masking them", () => {
    const error = new GraphQLError('Unknown operation named "B".', {
      extensions: { code: "OPERATION_RESOLUTION_FAILURE" },
    });
    assert.deepEqual([toPublicError(error).status, toPublicError(error).code], [400, "BAD_REQUEST"]);
  });
});

describe("one shape on every surface", () => {
  let t: TestApp;
  let eventId: string;
  before(async () => {
    t = await startApp();
    eventId = (await createEvent(t)).id;
  });
  after(() => t.close());

  it("answers an unknown visitor with the same code and message over GraphQL, JSON and XML", async () => {
    const graphql = await t.gql('query($e: ID!) { visitor(eventId: $e, id: "nosuchvisitor") { id } }', {
      e: eventId,
    });
    const json = await rest(t, "GET", `/json/visitors/${eventId}/nosuchvisitor`);
    const xml = await rest(t, "GET", `/xml/visitors/${eventId}/nosuchvisitor`);
    assert.deepEqual([graphql.status, json.status, xml.status], [404, 404, 404]);
    const message = must(graphql.errors, "graphql.errors")[0].message;
    assert.equal(JSON.parse(json.text).detail, message);
    assert.match(xml.text, new RegExp(`<detail>${message}</detail>`));
  });

  it("answers request-level GraphQL failures in the same shape as operation errors", async () => {
    const response = await t.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    const body = (await response.json()) as { errors: { message: string; extensions: object }[] };
    assert.equal(response.status, 400);
    assert.deepEqual(body.errors[0]?.extensions, { code: "BAD_REQUEST" });
  });

  it("answers an unknown operation name with 400 BAD_REQUEST, not a masked 500", async () => {
    const response = await t.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.admin.token}` },
      body: JSON.stringify({ query: "query A { __typename }", operationName: "B" }),
    });
    const result: GqlResult = {
      status: response.status,
      headers: response.headers,
      ...((await response.json()) as object),
    };
    assert.deepEqual([result.status, failure(result).code], [400, "BAD_REQUEST"]);
    assert.match(must(result.errors, "result.errors")[0].message, /Unknown operation named "B"/);
  });

  it("tells a client that sends only a persisted-query hash that persisted queries are not supported", async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: "a".repeat(64) } };
    const response = await t.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ extensions }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.deepEqual(
      [response.status, body.errors[0]?.extensions.code, body.errors[0]?.message],
      [400, "BAD_REQUEST", "PersistedQueryNotSupported"],
    );
  });
});
