import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { sql } from "drizzle-orm";
import express from "express";
import { createCompatRouter } from "@/compat/compat.router.js";
import { RestDispatcher } from "@/compat/rest-dispatcher.js";
import type { Actor } from "@/src/auth/actor.js";
import { newApiKeySecret } from "@/src/auth/api-key-format.js";
import { loadEnv } from "@/src/config/env.js";
import { AppError } from "@/src/errors/app-error.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import {
  basicAuth,
  createApiKey,
  createEvent,
  createQuestion,
  createVisitor,
  otherOrganisation,
  userWithRoles,
} from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { assertValidXml, type RestFormat, type RestResponse, rest } from "./support.js";

let t: TestApp;
let eventId: string;
before(async () => {
  t = await startApp();
  eventId = (await createEvent(t)).id;
});
after(() => t.close());

type Problem = {
  status: number;
  title: string;
  errorCode: string;
  detail: string;
  reason?: string;
  errors: { field: string; error: string }[];
};

/** An error response in either format, reduced to one shape; XML ones are validated against error.xsd. */
async function problem(response: RestResponse, format: RestFormat): Promise<Problem> {
  if (format === "json") {
    assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
    return JSON.parse(response.text) as Problem;
  }
  assert.match(response.headers.get("content-type") ?? "", /^application\/xml/);
  await assertValidXml(response.text, "error.xsd");
  const text = (name: string, within = response.text) =>
    new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(within)?.[1];
  const unescapeXml = (value: string) =>
    value.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
  const list = /<errors>([\s\S]*)<\/errors>/.exec(response.text)?.[1] ?? "";
  return {
    status: Number(text("status")),
    title: must(text("title"), 'text("title")'),
    errorCode: must(text("error-code"), 'text("error-code")'),
    detail: unescapeXml(text("detail") ?? ""),
    ...(text("reason") && { reason: text("reason") }),
    errors: [...list.matchAll(/<error>([\s\S]*?)<\/error>/g)].map((match) => ({
      field: must(text("field", match[1]), 'text("field", match[1])'),
      error: unescapeXml(must(text("message", match[1]), 'text("message", match[1])')),
    })),
  };
}

async function expectProblem(
  response: RestResponse,
  format: RestFormat,
  status: number,
  errorCode: string,
): Promise<Problem> {
  assert.equal(response.status, status, response.text);
  const body = await problem(response, format);
  assert.equal(body.status, status);
  assert.equal(body.errorCode, errorCode);
  assert.ok(body.title.length > 0);
  return body;
}

const FORMATS = ["json", "xml"] as const;

describe("400 malformed body", () => {
  it("refuses bodies that do not parse, or are not one record, naming the problem", async () => {
    const cases: [RestFormat, string, RegExp][] = [
      ["json", "{not json", /not valid JSON/],
      ["json", "[1, 2]", /one JSON object/],
      ["json", "", /needs a JSON body/],
      ["xml", "<visitor><contact></visitor>", /Malformed XML/],
      ["xml", "<partner/>", /one <visitor> element/],
      ["xml", "<visitor>AT&T</visitor>", /Malformed XML/],
      ["xml", "<visitor>&nbsp;</visitor>", /undefined entity &nbsp;/],
    ];
    for (const [format, body, detail] of cases) {
      const response = await rest(t, "POST", `/${format}/visitors/${eventId}`, { body });
      const error = await expectProblem(response, format, 400, "BAD_REQUEST");
      assert.match(error.detail, detail, body);
    }
  });

  it("refuses a write without a body", async () => {
    for (const format of FORMATS) {
      const response = await rest(t, "POST", `/${format}/visitors/${eventId}`);
      await expectProblem(response, format, 400, "BAD_REQUEST");
    }
  });
});

describe("401 and 403", () => {
  it("answers 401 with the reason for missing, malformed, unknown credentials", async () => {
    for (const format of FORMATS) {
      const cases: [RequestInit["headers"], string][] = [
        [{}, "MISSING_CREDENTIALS"],
        [{ authorization: "Token abc" }, "MALFORMED_CREDENTIALS"],
        [{ authorization: "Bearer vs_not-a-session" }, "INVALID_SESSION"],
        [basicAuth(newApiKeySecret()).headers, "UNKNOWN_KEY"],
        [basicAuth("vk_mistyped").headers, "MALFORMED_CREDENTIALS"],
      ];
      for (const [headers, reason] of cases) {
        const response = await rest(t, "GET", `/${format}/visitors/${eventId}`, {
          as: { headers: headers as Record<string, string> },
        });
        const error = await expectProblem(response, format, 401, "UNAUTHENTICATED");
        assert.equal(error.reason, reason, JSON.stringify(headers));
      }
      // Credentials are checked before the body is even read.
      const write = await rest(t, "POST", `/${format}/visitors/${eventId}`, { as: null, body: "{" });
      await expectProblem(write, format, 401, "UNAUTHENTICATED");
    }
  });

  it("answers 403 with the reason for a user without DATA_MANAGEMENT and for a read-only API key", async () => {
    const accounts = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
    const readOnly = await createApiKey(t, { canWrite: false });
    for (const format of FORMATS) {
      const read = await rest(t, "GET", `/${format}/visitors/${eventId}`, { as: accounts });
      assert.equal((await expectProblem(read, format, 403, "FORBIDDEN")).reason, "MISSING_ROLE");
      const body = format === "json" ? "{}" : "<visitor/>";
      const write = await rest(t, "POST", `/${format}/visitors/${eventId}`, {
        as: basicAuth(readOnly.secret),
        body,
      });
      assert.equal((await expectProblem(write, format, 403, "FORBIDDEN")).reason, "READ_ONLY_KEY");
      // The same key may read: Basic with the API key works on REST as on GraphQL.
      assert.equal(
        (await rest(t, "GET", `/${format}/visitors/${eventId}`, { as: basicAuth(readOnly.secret) })).status,
        200,
      );
    }
  });

  it("answers 403 EVENT_NOT_ALLOWED for an API key scoped to other events", async () => {
    const other = await createEvent(t);
    const scoped = await createApiKey(t, { eventIds: [other.id], canWrite: true });
    for (const format of FORMATS) {
      const response = await rest(t, "GET", `/${format}/visitors/${eventId}`, {
        as: { headers: { authorization: `Bearer ${scoped.secret}` } },
      });
      assert.equal((await expectProblem(response, format, 403, "FORBIDDEN")).reason, "EVENT_NOT_ALLOWED");
    }
  });
});

describe("404 and 405", () => {
  it("answers 404 for unknown records, events, another organisation's records and unknown routes", async () => {
    const visitor = await createVisitor(t, eventId);
    const stranger = await otherOrganisation(t);
    for (const format of FORMATS) {
      await expectProblem(
        await rest(t, "GET", `/${format}/visitors/${eventId}/nosuchvisitor`),
        format,
        404,
        "NOT_FOUND",
      );
      await expectProblem(
        await rest(t, "GET", `/${format}/visitors/nosuchevent00`),
        format,
        404,
        "NOT_FOUND",
      );
      await expectProblem(
        await rest(t, "GET", `/${format}/partners/${eventId}/nosuchpartner`),
        format,
        404,
        "NOT_FOUND",
      );
      await expectProblem(
        await rest(t, "GET", `/${format}/visitors/${eventId}/${visitor.id}`, { as: stranger }),
        format,
        404,
        "NOT_FOUND",
      );
      await expectProblem(await rest(t, "GET", `/${format}/exhibitors`), format, 404, "NOT_FOUND");
    }
  });

  it("answers 405 with Allow for a method the route does not have", async () => {
    for (const format of FORMATS) {
      const response = await rest(t, "DELETE", `/${format}/visitors/${eventId}`);
      await expectProblem(response, format, 405, "METHOD_NOT_ALLOWED");
      assert.equal(response.headers.get("allow"), "GET, POST, HEAD");
    }
  });
});

describe("413 and 415", () => {
  it("answers 413 for a body over 1 MiB, in the route's format", async () => {
    const big = "x".repeat(1024 * 1024);
    for (const format of FORMATS) {
      const body =
        format === "json"
          ? JSON.stringify({ reference: big })
          : `<visitor><reference>${big}</reference></visitor>`;
      await expectProblem(
        await rest(t, "POST", `/${format}/visitors/${eventId}`, { body }),
        format,
        413,
        "PAYLOAD_TOO_LARGE",
      );
    }
  });

  it("answers 415 for a body in another format or without a JSON/XML content type", async () => {
    const cases: [RestFormat, string, string][] = [
      ["json", "<visitor/>", "application/xml"],
      ["json", "{}", "text/plain"],
      ["xml", "{}", "application/json"],
      ["xml", "<visitor/>", "application/x-www-form-urlencoded"],
    ];
    for (const [format, body, contentType] of cases) {
      const response = await rest(t, "POST", `/${format}/visitors/${eventId}`, { body, contentType });
      await expectProblem(response, format, 415, "UNSUPPORTED_MEDIA_TYPE");
    }
    // The XML types clients use are all accepted.
    for (const contentType of ["text/xml", "application/xml; charset=utf-8", "application/vnd.visit+xml"]) {
      const response = await rest(t, "POST", `/xml/visitors/${eventId}`, { body: "<visitor/>", contentType });
      assert.equal(response.status, 201, `${contentType}: ${response.text}`);
    }
  });
});

describe("422 validation", () => {
  it("lists every failing field the REST reader finds, in kebab-case paths", async () => {
    const json = JSON.stringify({
      "registration-state": "signed-up",
      reference: 42,
      contact: { "first-name": ["Ada"], emailAddress: "x" },
      answers: [{ text: "no question" }],
      firstName: "camelCase is not a field name",
    });
    const xml = `<visitor><registration-state>REGISTERED</registration-state><reference><b>42</b></reference>
      <contact><first-name>Ada</first-name><first-name>Ada</first-name><email-address>x</email-address></contact>
      <answers><answer><text>no question</text></answer><item/></answers><firstName>x</firstName></visitor>`;
    const expected: Record<RestFormat, string[]> = {
      json: [
        "registration-state",
        "reference",
        "contact.first-name",
        "contact.emailAddress",
        "answers.0.question-id",
        "firstName",
      ],
      xml: [
        "registration-state",
        "reference",
        "contact.first-name",
        "contact.email-address",
        "answers.item",
        "firstName",
      ],
    };
    for (const format of FORMATS) {
      const body = format === "json" ? json : xml;
      const response = await rest(t, "POST", `/${format}/visitors/${eventId}`, { body });
      const error = await expectProblem(response, format, 422, "BAD_USER_INPUT");
      assert.deepEqual(
        error.errors.map((item) => item.field).sort(),
        [...expected[format]].sort(),
        response.text,
      );
      const state = error.errors.find((item) => item.field === "registration-state");
      assert.match(must(state, "state").error, /must be one of invited, registering, .*pending-confirmation/);
    }
  });

  it("lists every field the GraphQL services refuse, in kebab-case paths", async () => {
    const question = await createQuestion(t, eventId, "SINGLE_CHOICE");
    for (const format of FORMATS) {
      const body =
        format === "json"
          ? JSON.stringify({
              "registration-type-id": "nosuchtype",
              contact: { email: "not an email" },
              answers: [
                { "question-id": question.id, "answer-ids": ["nosuchanswer"] },
                { "question-id": "nosuchquestion" },
              ],
            })
          : `<visitor><registration-type-id>nosuchtype</registration-type-id><contact><email>not an email</email></contact>
             <answers><answer><question-id>${question.id}</question-id><answer-ids><answer-id>nosuchanswer</answer-id></answer-ids></answer>
             <answer><question-id>nosuchquestion</question-id></answer></answers></visitor>`;
      const response = await rest(t, "POST", `/${format}/visitors/${eventId}`, { body });
      const error = await expectProblem(response, format, 422, "BAD_USER_INPUT");
      const fields = error.errors.map((item) => item.field);
      for (const field of ["registration-type-id", "contact.email", "answers.1.question-id"]) {
        assert.ok(fields.includes(field), `${format}: ${field} in ${fields}`);
      }
      assert.ok(
        fields.some((field) => field.startsWith("answers.0.answer-ids")),
        `${format}: ${fields}`,
      );
      assert.ok(
        fields.every((field) => !/[A-Z]/.test(field)),
        `${format}: kebab-case ${fields}`,
      );
    }
  });

  it("requires a partner's name", async () => {
    for (const format of FORMATS) {
      const body = format === "json" ? "{}" : "<partner/>";
      const error = await expectProblem(
        await rest(t, "POST", `/${format}/partners/${eventId}`, { body }),
        format,
        422,
        "BAD_USER_INPUT",
      );
      assert.deepEqual(error.errors, [{ field: "name", error: "is required" }]);
    }
  });

  it("refuses list parameters out of range, naming each", async () => {
    const cases: [string, string][] = [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=ten", "limit"],
      ["fromRevision=-1", "fromRevision"],
      ["showDeleted=yes", "showDeleted"],
      ["registrationStates=registered,PENDING_CONFIRMATION", "registrationStates"],
      ["limit=5&limit=6", "limit"],
    ];
    for (const format of FORMATS) {
      for (const [query, field] of cases) {
        const response = await rest(t, "GET", `/${format}/visitors/${eventId}?${query}`);
        const error = await expectProblem(response, format, 422, "BAD_USER_INPUT");
        assert.deepEqual(
          error.errors.map((item) => item.field),
          [field],
          query,
        );
      }
      const both = await rest(t, "GET", `/${format}/visitors/${eventId}?limit=500&showDeleted=no`);
      assert.deepEqual(
        (await expectProblem(both, format, 422, "BAD_USER_INPUT")).errors.map((item) => item.field),
        ["limit", "showDeleted"],
      );
    }
  });
});

describe("429 rate limited", () => {
  it("answers 429 with Retry-After when an API key's calls per minute are used up", async () => {
    const key = await createApiKey(t, { rateLimitPerMinute: 1 });
    for (const format of FORMATS) {
      // Three calls within a minute of each other cross at most one minute boundary.
      const responses = [];
      for (let index = 0; index < 3; index++) {
        responses.push(await rest(t, "GET", `/${format}/events`, { as: basicAuth(key.secret) }));
      }
      const limited = responses.find((response) => response.status === 429);
      assert.ok(limited, responses.map((response) => response.status).join(","));
      await expectProblem(limited, format, 429, "RATE_LIMITED");
      assert.match(limited.headers.get("retry-after") ?? "", /^\d+$/);
    }
  });
});

/** The router alone, with a stub executor: for outcomes no real request should be able to cause. */
async function stubServer(graphql: GraphQLExecutor, authenticate?: () => Promise<Actor>) {
  const app = express();
  const admin: Actor = {
    kind: "user",
    organisationId: "org",
    userId: "user",
    roles: ["ADMIN"],
    sessionHash: "hash",
  };
  const { BODY_LIMIT_BYTES } = loadEnv();
  const dispatcher = new RestDispatcher({
    graphql,
    schema: await graphqlSchema(),
    bodyLimitBytes: BODY_LIMIT_BYTES,
  });
  app.use(
    createCompatRouter({
      dispatcher,
      authenticate: authenticate ?? (async () => admin),
      bodyLimitBytes: BODY_LIMIT_BYTES,
    }),
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("500", () => {
  it("answers 500 without internals when a query fails, and the server stays up", async () => {
    const broken = await startApp();
    try {
      // The table the routes read is gone: a failure inside the query, not an outage (that is 503).
      await broken.app.database.db.execute(sql`ALTER TABLE events RENAME TO events_gone`);
      for (const format of FORMATS) {
        const response = await rest(broken, "GET", `/${format}/events`);
        const error = await expectProblem(response, format, 500, "INTERNAL_SERVER_ERROR");
        assert.match(error.detail, /request id/);
        assert.doesNotMatch(response.text, /select|pglite|closed|stack|events_gone/i);
        assert.ok(response.headers.get("x-request-id"));
      }
      assert.equal((await broken.fetch("/healthz")).status, 200);
    } finally {
      await broken.close();
    }
  });
});

describe("409, 429 and 500 from the error mapping", () => {
  it("renders CONFLICT as 409, RATE_LIMITED as 429 with Retry-After, and masks internal errors as 500", async () => {
    const outcomes: [string, GraphQLExecutor, number, string][] = [
      [
        "conflict",
        async () => ({
          data: null,
          errors: [{ message: "Already exists", extensions: { code: "CONFLICT" } }],
        }),
        409,
        "CONFLICT",
      ],
      [
        "rate limited in GraphQL",
        async () => ({
          data: null,
          errors: [{ message: "Slow down", extensions: { code: "RATE_LIMITED", retryAfter: 7 } }],
        }),
        429,
        "RATE_LIMITED",
      ],
      [
        "executor throws",
        async () => {
          throw new Error('relation "visitors" does not exist at SELECT secret FROM keys');
        },
        500,
        "INTERNAL_SERVER_ERROR",
      ],
      [
        "masked GraphQL error",
        async () => ({
          data: null,
          errors: [
            {
              message:
                "Internal server error; the request id in X-Request-Id identifies it in the server log",
              extensions: { code: "INTERNAL_SERVER_ERROR" },
            },
          ],
        }),
        500,
        "INTERNAL_SERVER_ERROR",
      ],
    ];
    for (const [name, graphql, status, code] of outcomes) {
      const server = await stubServer(graphql);
      try {
        for (const format of FORMATS) {
          const response = await fetch(`${server.url}/${format}/visitors/event`);
          const text = await response.text();
          const error = await expectProblem(
            { status: response.status, headers: response.headers, text },
            format,
            status,
            code,
          );
          assert.doesNotMatch(text, /SELECT|relation|stack/i, name);
          if (status === 429) assert.equal(response.headers.get("retry-after"), "7");
          if (status === 500) assert.match(error.detail, /request id/);
        }
      } finally {
        await server.close();
      }
    }
  });

  it("names the field of a GraphQL variable error from its extensions, in the body's kebab-case", async () => {
    const server = await stubServer(async () => ({
      data: null,
      errors: [
        {
          message: "Invalid input: input.contact.jobTitle",
          extensions: {
            code: "BAD_USER_INPUT",
            errors: [
              { field: "input.contact.jobTitle", message: "String cannot represent a non string value: 5" },
            ],
          },
        },
      ],
    }));
    try {
      for (const format of FORMATS) {
        const response = await fetch(`${server.url}/${format}/visitors/event`);
        const text = await response.text();
        const error = await expectProblem(
          { status: response.status, headers: response.headers, text },
          format,
          422,
          "BAD_USER_INPUT",
        );
        assert.deepEqual(error.errors, [
          { field: "contact.job-title", error: "String cannot represent a non string value: 5" },
        ]);
        assert.equal(error.detail, "Invalid input: contact.job-title");
      }
    } finally {
      await server.close();
    }
  });

  it("never reads a field or a code from an error's message", async () => {
    // A message that names a place, and no extensions: an error without a code is no client error.
    const message =
      'Variable "$input" got invalid value "soon" at "input.contact.jobTitle"; String cannot represent it';
    const outcomes: [GraphQLExecutor, number, string, string[]][] = [
      [async () => ({ data: null, errors: [{ message }] }), 500, "INTERNAL_SERVER_ERROR", []],
      [
        async () => ({ data: null, errors: [{ message, extensions: { code: "BAD_USER_INPUT" } }] }),
        422,
        "BAD_USER_INPUT",
        [],
      ],
    ];
    for (const [graphql, status, code, fields] of outcomes) {
      const server = await stubServer(graphql);
      try {
        const response = await fetch(`${server.url}/json/visitors/event`);
        const text = await response.text();
        const error = await expectProblem(
          { status: response.status, headers: response.headers, text },
          "json",
          status,
          code,
        );
        assert.deepEqual(
          error.errors.map((item) => item.field),
          fields,
        );
        if (status === 500) assert.doesNotMatch(text, /jobTitle|soon/);
      } finally {
        await server.close();
      }
    }
  });

  it("renders a rate limit refused at authentication as 429 with Retry-After", async () => {
    const server = await stubServer(
      async () => ({ data: null, errors: [] }),
      async () => {
        throw new AppError("RATE_LIMITED", "Rate limit exceeded", { retryAfter: 12 });
      },
    );
    try {
      for (const format of FORMATS) {
        const response = await fetch(`${server.url}/${format}/events`);
        const text = await response.text();
        await expectProblem(
          { status: response.status, headers: response.headers, text },
          format,
          429,
          "RATE_LIMITED",
        );
        assert.equal(response.headers.get("retry-after"), "12");
      }
    } finally {
      await server.close();
    }
  });
});
