import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { createCompatRouter } from "@/compat/compat.router.js";
import { RestDispatcher } from "@/compat/rest-dispatcher.js";
import type { Actor } from "@/src/auth/actor.js";
import { newApiKeySecret } from "@/src/auth/api-key-format.js";
import { loadEnv } from "@/src/config/env.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import {
  basicAuth,
  createApiKey,
  createEvent,
  createPartner,
  createQuestion,
  createRegistrationType,
  createVisitor,
  otherOrganisation,
  VISITOR_FIELDS,
} from "../support/factories.js";
import { type As, startApp, type TestApp } from "../support/harness.js";
import { type RestResponse, rest, restOk } from "./support.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type Json = Record<string, unknown>;
type Options = Parameters<typeof rest>[3];

/** One call to Visit Create v2: the path is below /create/v2. */
const v2 = (method: string, path: string, options: Options = {}) =>
  rest(t, method, `/create/v2${path}`, options);
const v2Ok = async (method: string, path: string, status: number, options: Options = {}) => {
  const response = await restOk(t, method, `/create/v2${path}`, status, options);
  return response.text === "" ? undefined : JSON.parse(response.text);
};
const post = (path: string, body: unknown, as?: As) => v2("POST", path, { body: JSON.stringify(body), as });

type Problem = {
  status: number;
  title: string;
  type: string;
  errorCode: string;
  detail: string;
  reason?: string;
  errors: { field: string; error: string; description: string }[];
};

/** SPEC section 9's error body: problem+json with status, title, type, errorCode and described field errors. */
function expectProblem(response: RestResponse, status: number, errorCode: string): Problem {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
  const body = JSON.parse(response.text) as Problem;
  assert.equal(body.status, status);
  assert.equal(body.errorCode, errorCode);
  assert.ok(body.title.length > 0);
  assert.match(body.type, /^urn:visit-api:problem:[a-z-]+$/);
  for (const item of body.errors) {
    assert.equal(typeof item.error, "string");
    assert.ok(item.description.includes(item.field), JSON.stringify(item));
  }
  return body;
}

const fieldsOf = (problem: Problem) => problem.errors.map((item) => item.field).sort();

describe("Visit Create v2 routes: success, camelCase", () => {
  it("lists expos in revision order and pages them by fromRevision, limit and reference", async () => {
    const reference = `v2-${Date.now()}`;
    const made = [];
    for (let index = 0; index < 4; index++) made.push(await createEvent(t, undefined, { reference }));
    const all = (await v2Ok("GET", `/expos?reference=${reference}`, 200)) as Json[];
    assert.deepEqual(
      all.map((expo) => expo.id),
      made.map((expo) => expo.id),
    );
    const [expo] = all as Json[];
    assert.deepEqual(Object.keys(expo), [
      "id",
      "name",
      "reference",
      "start",
      "end",
      "timezone",
      "questions",
      "createdAt",
      "updatedAt",
      "revision",
    ]);
    const seen: string[] = [];
    let from = expo.revision as number;
    for (;;) {
      const page = (await v2Ok(
        "GET",
        `/expos?fromRevision=${from}&limit=3&reference=${reference}`,
        200,
      )) as Json[];
      if (page.length === 0) break;
      assert.ok(page.length <= 3);
      seen.push(...page.map((item) => item.id as string));
      from = (must(page.at(-1), "page.at(-1)").revision as number) + 1;
    }
    assert.deepEqual(
      seen,
      made.map((item) => item.id),
    );

    // Changing an expo gives it a higher revision: it comes again, at the end of the feed.
    await t.ok('mutation($id: ID!) { updateEvent(id: $id, input: { name: "Renamed" }) { id } }', {
      id: made[0].id,
    });
    const after = (await v2Ok("GET", `/expos?fromRevision=${from}&reference=${reference}`, 200)) as Json[];
    assert.deepEqual(
      after.map((item) => [item.id, item.name]),
      [[made[0].id, "Renamed"]],
    );
    assert.ok((after[0].revision as number) >= from);
  });

  it("shows one expo with its questions, and its registration types as Visit does", async () => {
    const event = await createEvent(t);
    const question = await createQuestion(t, event.id, "SINGLE_CHOICE", ["Yes", "No"]);
    const own = await createRegistrationType(t, event.id, "VISITOR");
    const wide = await createRegistrationType(t, null, "PARTNER");
    const expo = (await v2Ok("GET", `/expos/${event.id}`, 200)) as Json;
    assert.equal(expo.id, event.id);
    assert.equal(expo.timezone, "Europe/Amsterdam");
    assert.deepEqual(expo.questions, [
      {
        id: question.id,
        kind: "singleChoice",
        text: (expo.questions as Json[])[0].text,
        required: false,
        answers: question.answers.map((answer) => ({ id: answer.id, text: answer.text })),
      },
    ]);
    const types = (await v2Ok("GET", `/registrationTypes/${event.id}`, 200)) as Json[];
    const byId = new Map(types.map((type) => [type.id, type]));
    const ownType = must(byId.get(own), "the event's own registration type");
    const wideType = must(byId.get(wide), "the organisation-wide registration type");
    assert.deepEqual(Object.keys(ownType), ["id", "name", "level", "type"]);
    assert.deepEqual([ownType.level, ownType.type], ["expo", "visitor"]);
    assert.deepEqual([wideType.level, wideType.type], ["organization", "partner"]);
  });

  it("creates (201 + Location), reads, updates partially, deletes (204) a visitor, and shows the tombstone", async () => {
    const event = await createEvent(t);
    const type = await createRegistrationType(t, event.id, "VISITOR");
    const question = await createQuestion(t, event.id, "MULTIPLE_CHOICE", ["A", "B"]);
    const created = await post(`/visitors/${event.id}`, {
      registrationState: "pendingConfirmation",
      registrationTypeId: type,
      reference: "crm-1",
      contact: {
        firstName: "Ada",
        lastName: "Lovelace",
        email: "Ada@Example.test",
        jobTitle: "Programmer",
        address: { postalCode: "SW1Y", city: "London" },
      },
      answers: [{ questionId: question.id, answerIds: [question.answers[1].id] }],
    });
    assert.equal(created.status, 201, created.text);
    const visitor = JSON.parse(created.text) as Json;
    assert.equal(created.headers.get("location"), `/create/v2/visitors/${event.id}/${visitor.id}`);
    assert.deepEqual(
      { ...visitor, id: undefined, createdAt: undefined, updatedAt: undefined, revision: undefined },
      {
        id: undefined,
        eventId: event.id,
        registrationState: "pendingConfirmation",
        registrationTypeId: type,
        reference: "crm-1",
        contact: {
          firstName: "Ada",
          lastName: "Lovelace",
          email: "ada@example.test",
          jobTitle: "Programmer",
          address: { postalCode: "SW1Y", city: "London" },
        },
        answers: [{ questionId: question.id, answerIds: [question.answers[1].id] }],
        createdAt: undefined,
        updatedAt: undefined,
        revision: undefined,
        deleted: false,
      },
    );
    assert.deepEqual(await v2Ok("GET", `/visitors/${event.id}/${visitor.id}`, 200), visitor);

    // PUT is partial: fields left out keep their value, the contact merges; upper case is accepted.
    const updated = (await v2Ok("PUT", `/visitors/${event.id}/${visitor.id}`, 200, {
      body: JSON.stringify({ registrationState: "REGISTERED", contact: { jobTitle: "CTO" } }),
    })) as Json;
    assert.equal(updated.registrationState, "registered");
    assert.equal(updated.reference, "crm-1");
    assert.deepEqual(updated.contact, { ...(visitor.contact as Json), jobTitle: "CTO" });
    assert.ok((updated.revision as number) > (visitor.revision as number));

    assert.equal(await v2Ok("DELETE", `/visitors/${event.id}/${visitor.id}`, 204), undefined);
    const tombstone = (await v2Ok("GET", `/visitors/${event.id}/${visitor.id}`, 200)) as Json;
    assert.equal(tombstone.deleted, true);
    const list = (await v2Ok("GET", `/visitors/${event.id}`, 200)) as Json[];
    assert.deepEqual(
      list.map((item) => [item.id, item.deleted]),
      [[visitor.id, true]],
    );
    assert.deepEqual(await v2Ok("GET", `/visitors/${event.id}?showDeleted=false`, 200), []);
  });

  it("filters visitors by registrationStates (incomplete: invited, registering, stopped), registrationTypes and contactReference", async () => {
    const event = await createEvent(t);
    const type = await createRegistrationType(t, event.id, "VISITOR");
    const byState: Record<string, string> = {};
    for (const state of ["INVITED", "REGISTERING", "STOPPED", "REGISTERED", "PENDING_CONFIRMATION"]) {
      byState[state] = (await createVisitor(t, event.id, { registrationState: state })).id;
    }
    const typed = await createVisitor(t, event.id, {
      registrationTypeId: type,
      contact: { reference: "crm-42", email: "typed@example.test" },
    });
    const ids = async (query: string) =>
      ((await v2Ok("GET", `/visitors/${event.id}?${query}`, 200)) as Json[]).map((item) => item.id);
    assert.deepEqual(await ids("registrationStates=incomplete"), [
      byState.INVITED,
      byState.REGISTERING,
      byState.STOPPED,
    ]);
    assert.deepEqual(await ids("registrationStates=incomplete,pendingConfirmation"), [
      byState.INVITED,
      byState.REGISTERING,
      byState.STOPPED,
      byState.PENDING_CONFIRMATION,
    ]);
    assert.deepEqual(await ids("registrationStates=PENDING_CONFIRMATION"), [byState.PENDING_CONFIRMATION]);
    assert.deepEqual(await ids(`registrationTypes=${type}`), [typed.id]);
    assert.deepEqual(await ids("contactReference=crm-42"), [typed.id]);
    assert.deepEqual(await ids("limit=2"), [byState.INVITED, byState.REGISTERING]);
  });

  it("creates, reads, updates, deletes partners, and filters them by registrationType (singular or plural)", async () => {
    const event = await createEvent(t);
    const type = await createRegistrationType(t, event.id, "PARTNER");
    const created = await post(`/partners/${event.id}`, {
      name: "Analytical Engines",
      registrationTypeId: type,
      stand: "B12",
      contact: { firstName: "Charles", email: "charles@example.test" },
      staff: [{ firstName: "Ada" }, { firstName: "Mary", jobTitle: "Translator" }],
    });
    assert.equal(created.status, 201, created.text);
    const partner = JSON.parse(created.text) as Json;
    assert.equal(created.headers.get("location"), `/create/v2/partners/${event.id}/${partner.id}`);
    assert.deepEqual(partner.staff, [{ firstName: "Ada" }, { firstName: "Mary", jobTitle: "Translator" }]);
    const other = await createPartner(t, event.id);
    const ids = async (query: string) =>
      ((await v2Ok("GET", `/partners/${event.id}?${query}`, 200)) as Json[]).map((item) => item.id);
    assert.deepEqual(await ids(`registrationType=${type}`), [partner.id]);
    assert.deepEqual(await ids(`registrationTypes=${type}`), [partner.id]);
    assert.deepEqual(await ids(""), [partner.id, other.id]);

    const updated = (await v2Ok("PUT", `/partners/${event.id}/${partner.id}`, 200, {
      body: JSON.stringify({ hall: "3", contact: { lastName: "Babbage" } }),
    })) as Json;
    assert.deepEqual(
      [updated.name, updated.stand, updated.hall, updated.contact],
      [
        "Analytical Engines",
        "B12",
        "3",
        { firstName: "Charles", lastName: "Babbage", email: "charles@example.test" },
      ],
    );
    await v2Ok("DELETE", `/partners/${event.id}/${partner.id}`, 204);
    assert.equal(((await v2Ok("GET", `/partners/${event.id}/${partner.id}`, 200)) as Json).deleted, true);
  });

  it("accepts an API key as HTTP Basic user name, as Visit clients send it", async () => {
    const event = await createEvent(t);
    const key = await createApiKey(t, { canWrite: true });
    for (const as of [basicAuth(key.secret), basicAuth(key.secret, false)]) {
      assert.equal((await v2("GET", `/visitors/${event.id}`, { as })).status, 200);
    }
    assert.equal(
      (await post(`/visitors/${event.id}`, { contact: { firstName: "K" } }, basicAuth(key.secret))).status,
      201,
    );
  });
});

describe("Visit Create v2 errors", () => {
  let eventId: string;
  before(async () => {
    eventId = (await createEvent(t)).id;
  });

  it("answers 400 naming a query parameter the route does not know, or one of Visit's it does not support", async () => {
    const cases: [string, string, string[]][] = [
      ["GET", `/visitors/${eventId}?contactId=abc`, ["contactId"]],
      ["GET", `/visitors/${eventId}?sort=name&limit=5&colour=red`, ["colour", "sort"]],
      ["GET", `/partners/${eventId}?registrationStates=registered`, ["registrationStates"]],
      ["GET", "/expos?showDeleted=true", ["showDeleted"]],
      ["GET", `/expos/${eventId}?fields=name`, ["fields"]],
      ["POST", `/visitors/${eventId}?dryRun=true`, ["dryRun"]],
    ];
    for (const [method, path, fields] of cases) {
      const response = await v2(method, path, method === "POST" ? { body: "{}" } : {});
      const problem = expectProblem(response, 400, "BAD_REQUEST");
      assert.deepEqual(fieldsOf(problem), fields, path);
    }
    const unsupported = expectProblem(
      await v2("GET", `/visitors/${eventId}?contactId=abc`),
      400,
      "BAD_REQUEST",
    );
    assert.match(unsupported.errors[0].error, /not supported/);
    // Nothing was written by the refused POST.
    assert.deepEqual(await v2Ok("GET", `/visitors/${eventId}`, 200), []);
  });

  it("answers 400 for a body that is not one JSON object", async () => {
    for (const body of ["{not json", "[1]", ""]) {
      expectProblem(await v2("POST", `/visitors/${eventId}`, { body }), 400, "BAD_REQUEST");
    }
  });

  it("answers 400 for a path segment that is not valid percent-encoding", async () => {
    const problem = expectProblem(await v2("GET", "/visitors/%E0%A4%A"), 400, "BAD_REQUEST");
    assert.match(problem.detail, /Malformed path segment/);
  });

  it("answers 401 with the reason for missing and unknown credentials", async () => {
    const missing = expectProblem(
      await v2("GET", `/visitors/${eventId}`, { as: null }),
      401,
      "UNAUTHENTICATED",
    );
    assert.equal(missing.reason, "MISSING_CREDENTIALS");
    const unknown = expectProblem(
      await v2("GET", "/expos", { as: basicAuth(newApiKeySecret()) }),
      401,
      "UNAUTHENTICATED",
    );
    assert.equal(unknown.reason, "UNKNOWN_KEY");
  });

  it("answers 403 for a write with a read-only key and for an expo outside the key's events", async () => {
    const readOnly = await createApiKey(t, { canWrite: false });
    const write = await post(`/visitors/${eventId}`, {}, basicAuth(readOnly.secret));
    assert.equal(expectProblem(write, 403, "FORBIDDEN").reason, "READ_ONLY_KEY");
    const other = await createEvent(t);
    const scoped = await createApiKey(t, { eventIds: [other.id], canWrite: true });
    for (const path of [`/visitors/${eventId}`, `/expos/${eventId}`, `/registrationTypes/${eventId}`]) {
      const response = await v2("GET", path, { as: basicAuth(scoped.secret) });
      assert.equal(expectProblem(response, 403, "FORBIDDEN").reason, "EVENT_NOT_ALLOWED", path);
    }
    // The scoped key lists only its own expos.
    const expos = (await v2Ok("GET", "/expos", 200, { as: basicAuth(scoped.secret) })) as Json[];
    assert.deepEqual(
      expos.map((expo) => expo.id),
      [other.id],
    );
  });

  it("answers 404 for unknown records, expos, another organisation's records and unknown routes; 405 with Allow", async () => {
    const visitor = await createVisitor(t, eventId);
    const stranger = await otherOrganisation(t);
    expectProblem(await v2("GET", `/visitors/${eventId}/nosuchvisitor`), 404, "NOT_FOUND");
    expectProblem(await v2("GET", "/expos/nosuchexpo000"), 404, "NOT_FOUND");
    expectProblem(await v2("PUT", `/partners/${eventId}/nosuchpartner`, { body: "{}" }), 404, "NOT_FOUND");
    expectProblem(await v2("GET", `/visitors/${eventId}/${visitor.id}`, { as: stranger }), 404, "NOT_FOUND");
    expectProblem(await v2("GET", "/exhibitors"), 404, "NOT_FOUND");
    // v1 spellings are not v2 routes.
    expectProblem(await v2("GET", `/registration-types/${eventId}`), 404, "NOT_FOUND");
    const response = await v2("DELETE", `/visitors/${eventId}`);
    expectProblem(response, 405, "METHOD_NOT_ALLOWED");
    assert.equal(response.headers.get("allow"), "GET, POST, HEAD");
  });

  it("answers 413 for a body over 1 MiB and 415 for a body that is not JSON", async () => {
    const big = JSON.stringify({ reference: "x".repeat(1024 * 1024) });
    expectProblem(await v2("POST", `/visitors/${eventId}`, { body: big }), 413, "PAYLOAD_TOO_LARGE");
    for (const contentType of ["application/xml", "text/plain"]) {
      const response = await v2("POST", `/visitors/${eventId}`, { body: "{}", contentType });
      expectProblem(response, 415, "UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("answers 422 naming every failing field in camelCase paths, from the reader and from the services", async () => {
    const read = await post(`/visitors/${eventId}`, {
      registrationState: "signedUp",
      "registration-state": "registered",
      reference: 42,
      contact: { firstName: ["Ada"], emailAddress: "x" },
      answers: [{ text: "no question" }],
    });
    const readProblem = expectProblem(read, 422, "BAD_USER_INPUT");
    assert.deepEqual(fieldsOf(readProblem), [
      "answers.0.questionId",
      "contact.emailAddress",
      "contact.firstName",
      "reference",
      "registration-state",
      "registrationState",
    ]);
    const state = must(
      readProblem.errors.find((item) => item.field === "registrationState"),
      "the registrationState error",
    );
    assert.match(state.error, /must be one of invited, registering, .*pendingConfirmation/);
    assert.equal(state.description, `registrationState ${state.error}`);

    const question = await createQuestion(t, eventId, "SINGLE_CHOICE");
    const refused = await post(`/visitors/${eventId}`, {
      registrationTypeId: "nosuchtype",
      contact: { email: "not an email" },
      answers: [{ questionId: question.id, answerIds: ["nosuchanswer"] }, { questionId: "nosuchquestion" }],
    });
    const fields = fieldsOf(expectProblem(refused, 422, "BAD_USER_INPUT"));
    for (const field of ["registrationTypeId", "contact.email", "answers.1.questionId"]) {
      assert.ok(fields.includes(field), `${field} in ${fields}`);
    }
    assert.ok(
      fields.some((field) => field.startsWith("answers.0.answerIds")),
      String(fields),
    );
    expectProblem(await post(`/partners/${eventId}`, {}), 422, "BAD_USER_INPUT");

    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["fromRevision=-1", "fromRevision"],
      ["showDeleted=yes", "showDeleted"],
      ["registrationStates=signedUp", "registrationStates"],
    ]) {
      const problem = expectProblem(await v2("GET", `/visitors/${eventId}?${query}`), 422, "BAD_USER_INPUT");
      assert.deepEqual(fieldsOf(problem), [field], query);
    }
  });

  it("answers 429 with Retry-After when the key's calls per minute are used up", async () => {
    const key = await createApiKey(t, { rateLimitPerMinute: 1 });
    const statuses = [];
    let limited: RestResponse | undefined;
    for (let index = 0; index < 3; index++) {
      const response = await v2("GET", "/expos", { as: basicAuth(key.secret) });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    assert.ok(limited, statuses.join(","));
    expectProblem(limited, 429, "RATE_LIMITED");
    assert.match(limited.headers.get("retry-after") ?? "", /^\d+$/);
  });
});

/** The REST router alone, with a stub executor: for outcomes no real request should cause. */
async function stubServer(graphql: GraphQLExecutor) {
  const app = express();
  const admin: Actor = {
    kind: "user",
    organisationId: "org",
    userId: "u",
    roles: ["ADMIN"],
    sessionHash: "h",
  };
  const { BODY_LIMIT_BYTES } = loadEnv();
  const dispatcher = new RestDispatcher({
    graphql,
    schema: await graphqlSchema(),
    bodyLimitBytes: BODY_LIMIT_BYTES,
  });
  app.use(
    createCompatRouter({ dispatcher, authenticate: async () => admin, bodyLimitBytes: BODY_LIMIT_BYTES }),
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("Visit Create v2 errors from the error mapping", () => {
  it("renders CONFLICT as 409, masks internal errors as 500, and names GraphQL's fields in camelCase", async () => {
    const outcomes: [GraphQLExecutor, number, string, string[]][] = [
      [
        async () => ({ data: null, errors: [{ message: "Taken", extensions: { code: "CONFLICT" } }] }),
        409,
        "CONFLICT",
        [],
      ],
      [
        async () => {
          throw new Error('relation "visitors" does not exist at SELECT secret FROM keys');
        },
        500,
        "INTERNAL_SERVER_ERROR",
        [],
      ],
      [
        async () => ({
          data: null,
          errors: [
            {
              message: "Invalid input",
              extensions: {
                code: "BAD_USER_INPUT",
                errors: [{ field: "contact.jobTitle", message: "is too long" }],
              },
            },
          ],
        }),
        422,
        "BAD_USER_INPUT",
        ["contact.jobTitle"],
      ],
    ];
    for (const [graphql, status, code, fields] of outcomes) {
      const server = await stubServer(graphql);
      try {
        const response = await fetch(`${server.url}/create/v2/visitors/event`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        const text = await response.text();
        const problem = expectProblem(
          { status: response.status, headers: response.headers, text },
          status,
          code,
        );
        assert.deepEqual(fieldsOf(problem), fields);
        assert.doesNotMatch(text, /SELECT|relation|stack/i);
      } finally {
        await server.close();
      }
    }
  });
});

describe("one record through v2, v1 and GraphQL", () => {
  it("reads a v2 write the same through v1 JSON and XML and GraphQL, and a v1 write the same through v2", async () => {
    const event = await createEvent(t);
    const created = JSON.parse(
      (
        await restOk(t, "POST", `/create/v2/visitors/${event.id}`, 201, {
          body: JSON.stringify({
            registrationState: "pendingConfirmation",
            contact: { firstName: "Ada", jobTitle: "Dev" },
          }),
        })
      ).text,
    ) as Json;
    const v1 = JSON.parse(
      (await restOk(t, "GET", `/json/visitors/${event.id}/${created.id}`, 200)).text,
    ) as Json;
    assert.equal(v1["registration-state"], "pending-confirmation");
    assert.deepEqual(v1.contact, { "first-name": "Ada", "job-title": "Dev" });
    const xml = (await restOk(t, "GET", `/xml/visitors/${event.id}/${created.id}`, 200)).text;
    assert.match(xml, /<registration-state>pending-confirmation<\/registration-state>/);
    const graphql = await t.ok<{ visitor: Json }>(
      `query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { ${VISITOR_FIELDS} } }`,
      { e: event.id, id: created.id },
    );
    assert.equal(graphql.visitor.registrationState, "PENDING_CONFIRMATION");
    assert.equal(graphql.visitor.revision, created.revision);

    const fromV1 = JSON.parse(
      (
        await restOk(t, "POST", `/json/visitors/${event.id}`, 201, {
          body: JSON.stringify({ "registration-state": "hold", contact: { "last-name": "Byron" } }),
        })
      ).text,
    ) as Json;
    const seen = (await v2Ok("GET", `/visitors/${event.id}/${fromV1.id}`, 200)) as Json;
    assert.equal(seen.registrationState, "hold");
    assert.deepEqual(seen.contact, { lastName: "Byron" });
  });
});
