import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ROUTES, V2_ROUTES } from "@/compat/route-table.js";
import { createEvent, createQuestion, createRegistrationType } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { restOk } from "./support.js";

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  additionalProperties?: boolean;
  minimum?: number;
  maximum?: number;
};
type Operation = {
  operationId: string;
  parameters: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> }
  >;
};
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

let t: TestApp;
let doc: OpenApi;
let v2Doc: OpenApi;
// A disabled webhook's URL must pass the outbound guard; nothing is ever sent to it.
const HOOK_HOST = "127.0.0.1:9";
before(async () => {
  t = await startApp({ OUTBOUND_ALLOW: HOOK_HOST });
  const response = await t.fetch("/openapi.json");
  assert.equal(response.status, 200);
  doc = (await response.json()) as OpenApi;
  const v2 = await t.fetch("/create/v2/openapi.json");
  assert.equal(v2.status, 200);
  v2Doc = (await v2.json()) as OpenApi;
});
after(() => t.close());

/**
 * Checks a value against the subset of JSON Schema the generated document uses. Returns the
 * failures as paths, so a mismatch between the document and real responses names its place.
 */
function check(value: unknown, schema: Schema, path: string, failures: string[], within = doc): void {
  if (schema.$ref) {
    const target = within.components.schemas[schema.$ref.replace("#/components/schemas/", "")];
    if (!target) failures.push(`${path}: dangling ${schema.$ref}`);
    else check(value, target, path, failures, within);
    return;
  }
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((option) => {
      const inner: string[] = [];
      check(value, option, path, inner, within);
      return inner.length === 0;
    });
    if (matching.length !== 1) failures.push(`${path}: matches ${matching.length} of oneOf`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) failures.push(`${path}: ${String(value)} not in enum`);
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        failures.push(`${path}: not an object`);
        return;
      }
      for (const key of schema.required ?? []) if (!(key in value)) failures.push(`${path}.${key}: missing`);
      for (const [key, item] of Object.entries(value)) {
        const property = schema.properties?.[key];
        if (property) check(item, property, `${path}.${key}`, failures, within);
        else if (schema.properties) failures.push(`${path}.${key}: not in the schema`);
      }
      return;
    }
    case "array":
      if (!Array.isArray(value)) failures.push(`${path}: not an array`);
      else
        for (const [index, item] of value.entries())
          check(item, schema.items ?? {}, `${path}.${index}`, failures, within);
      return;
    case "integer":
      if (!Number.isInteger(value)) failures.push(`${path}: not an integer`);
      return;
    case "null":
      if (value !== null) failures.push(`${path}: not null`);
      return;
    case undefined:
      return;
    default:
      if (typeof value !== schema.type) failures.push(`${path}: not a ${schema.type}`);
  }
}

function assertMatches(value: unknown, schema: Schema, what: string, within = doc): void {
  const failures: string[] = [];
  check(value, schema, what, failures, within);
  assert.deepEqual(failures, [], `${what}: ${JSON.stringify(value)}`);
}

describe("/openapi.json", () => {
  it("is OpenAPI 3.1 and describes every route of the route table in both formats", () => {
    assert.equal(doc.openapi, "3.1.0");
    const operationIds = new Set<string>();
    for (const format of ["json", "xml"]) {
      for (const route of ROUTES) {
        const path = `/${format}${route.path.replace(/:(\w+)/g, "{$1}")}`;
        const operation = doc.paths[path]?.[route.method.toLowerCase()];
        assert.ok(operation, `${route.method} ${path}`);
        operationIds.add(operation.operationId);
        assert.ok(operation.responses[String(route.status)], `${path}: ${route.status}`);
        for (const status of ["401", "403", "404", "429", "500"])
          assert.ok(operation.responses[status], `${path}: ${status}`);
        const pathParams = operation.parameters
          .filter((parameter) => parameter.in === "path")
          .map((p) => p.name);
        assert.deepEqual(
          pathParams,
          [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]),
        );
        const queryParams = operation.parameters
          .filter((parameter) => parameter.in === "query")
          .map((p) => p.name);
        assert.deepEqual(queryParams, [...(route.params ?? [])]);
        if (route.body) {
          const types = Object.keys(operation.requestBody?.content ?? {});
          assert.deepEqual(types, format === "json" ? ["application/json"] : ["application/xml", "text/xml"]);
          for (const status of ["400", "413", "415", "422"])
            assert.ok(operation.responses[status], `${path}: ${status}`);
        }
        if (route.status === 201) assert.ok(operation.responses["201"]?.headers?.Location);
        const errorType = format === "json" ? "application/problem+json" : "application/xml";
        assert.ok(operation.responses["404"]?.content?.[errorType], `${path}: errors as ${errorType}`);
      }
    }
    assert.equal(operationIds.size, ROUTES.length * 2, "operationIds are unique");
  });

  it("spells fields in kebab-case and registration states the REST way", () => {
    const visitor = doc.components.schemas.Visitor;
    assert.ok(visitor.properties?.["registration-state"]);
    assert.deepEqual(doc.components.schemas.Visitor?.properties?.["registration-state"]?.enum, [
      "invited",
      "registering",
      "stopped",
      "registered",
      "pending-confirmation",
      "hold",
      "denied",
      "cancelled",
    ]);
    for (const schema of Object.values(doc.components.schemas)) {
      for (const key of Object.keys(schema.properties ?? {})) {
        if (key !== "errorCode") assert.match(key, /^[a-z0-9]+(-[a-z0-9]+)*$/, key);
      }
    }
  });

  it("describes what the JSON routes really answer and accept", async () => {
    const event = await createEvent(t);
    const question = await createQuestion(t, event.id, "SINGLE_CHOICE");
    const body = {
      "registration-state": "registered",
      contact: { "first-name": "Ada", address: { city: "London" } },
      answers: [{ "question-id": question.id, "answer-ids": [question.answers[0].id] }],
    };
    const create = doc.paths["/json/visitors/{eventId}"].post;
    assertMatches(
      body,
      must(create.requestBody, "create.requestBody").content["application/json"].schema,
      "create visitor body",
    );
    const created = JSON.parse(
      (await restOk(t, "POST", `/json/visitors/${event.id}`, 201, { body: JSON.stringify(body) })).text,
    );
    assertMatches(
      created,
      must(create.responses["201"].content, 'create.responses["201"].content')["application/json"].schema,
      "created visitor",
    );
    await restOk(t, "POST", `/json/partners/${event.id}`, 201, {
      body: JSON.stringify({ name: "P", staff: [{}] }),
    });
    const checks: [string, string, string][] = [
      ["/json/events", "/json/events", "get"],
      ["/json/events/{eventId}", `/json/events/${event.id}`, "get"],
      ["/json/registration-types/{eventId}", `/json/registration-types/${event.id}`, "get"],
      ["/json/visitors/{eventId}", `/json/visitors/${event.id}`, "get"],
      ["/json/visitors/{eventId}/{visitorId}", `/json/visitors/${event.id}/${created.id}`, "get"],
      ["/json/partners/{eventId}", `/json/partners/${event.id}`, "get"],
    ];
    for (const [template, path, method] of checks) {
      const value = JSON.parse((await restOk(t, "GET", path, 200)).text);
      assertMatches(
        value,
        must(doc.paths[template][method].responses["200"].content, "the 200 response's content")[
          "application/json"
        ].schema,
        path,
      );
    }
    const problem = JSON.parse((await restOk(t, "GET", `/json/visitors/${event.id}?limit=0`, 422)).text);
    assertMatches(problem, doc.components.schemas.Problem, "problem");
  });
});

describe("/create/v2/openapi.json", () => {
  it("is OpenAPI 3.1 and describes every v2 route, with 400 for unknown query parameters everywhere", () => {
    assert.equal(v2Doc.openapi, "3.1.0");
    const operationIds = new Set<string>();
    for (const route of V2_ROUTES) {
      const path = `/create/v2${route.path.replace(/:(\w+)/g, "{$1}")}`;
      const operation = v2Doc.paths[path]?.[route.method.toLowerCase()];
      assert.ok(operation, `${route.method} ${path}`);
      operationIds.add(operation.operationId);
      for (const status of [String(route.status), "400", "401", "403", "404", "429", "500"])
        assert.ok(operation.responses[status], `${path}: ${status}`);
      assert.deepEqual(
        operation.parameters.filter((parameter) => parameter.in === "query").map((p) => p.name),
        [...(route.params ?? [])],
      );
      if (route.body) {
        assert.deepEqual(Object.keys(operation.requestBody?.content ?? {}), ["application/json"]);
        for (const status of ["413", "415", "422"])
          assert.ok(operation.responses[status], `${path}: ${status}`);
      }
      assert.ok(operation.responses["404"]?.content?.["application/problem+json"]);
    }
    assert.equal(operationIds.size, V2_ROUTES.length);
    assert.equal(Object.keys(v2Doc.paths).filter((path) => !path.startsWith("/create/v2/")).length, 0);
  });

  it("spells fields in camelCase and enum values as Visit does, accepting upper case on input", () => {
    const visitor = v2Doc.components.schemas.Visitor;
    assert.deepEqual(visitor.properties?.registrationState?.enum, [
      "invited",
      "registering",
      "stopped",
      "registered",
      "pendingConfirmation",
      "hold",
      "denied",
      "cancelled",
    ]);
    const input = v2Doc.components.schemas.CreateVisitorInput;
    const state = input.properties?.registrationState?.oneOf?.[0]?.enum ?? [];
    assert.ok(state.includes("pendingConfirmation") && state.includes("PENDING_CONFIRMATION"));
    assert.deepEqual(Object.keys(v2Doc.components.schemas.RegistrationType?.properties ?? {}), [
      "id",
      "name",
      "reference",
      "level",
      "type",
    ]);
    for (const schema of Object.values(v2Doc.components.schemas)) {
      for (const key of Object.keys(schema.properties ?? {})) assert.match(key, /^[a-z][a-zA-Z0-9]*$/, key);
    }
  });

  it("describes what the v2 routes really answer and accept", async () => {
    const event = await createEvent(t, undefined, { reference: "openapi-v2" });
    await createQuestion(t, event.id, "SINGLE_CHOICE");
    await createRegistrationType(t, event.id, "VISITOR");
    await createRegistrationType(t, null, "PARTNER");
    const body = {
      registrationState: "REGISTERED",
      contact: { firstName: "Ada", address: { city: "London" } },
    };
    const create = v2Doc.paths["/create/v2/visitors/{expoId}"].post;
    assertMatches(
      body,
      must(create.requestBody, "create.requestBody").content["application/json"].schema,
      "create body",
      v2Doc,
    );
    const created = JSON.parse(
      (await restOk(t, "POST", `/create/v2/visitors/${event.id}`, 201, { body: JSON.stringify(body) })).text,
    );
    assertMatches(
      created,
      must(create.responses["201"].content, 'create.responses["201"].content')["application/json"].schema,
      "created",
      v2Doc,
    );
    const partner = JSON.parse(
      (
        await restOk(t, "POST", `/create/v2/partners/${event.id}`, 201, {
          body: JSON.stringify({ name: "P", staff: [{ firstName: "S" }] }),
        })
      ).text,
    );
    const hookBody = { type: "partner", url: `http://${HOOK_HOST}/hook`, enabled: false };
    const createHook = v2Doc.paths["/create/v2/webhooks/{expoId}"]?.post;
    const hookBodySchema = createHook?.requestBody?.content["application/json"]?.schema;
    const hookSchema = createHook?.responses["201"]?.content?.["application/json"]?.schema;
    assert.ok(hookBodySchema && hookSchema, "POST /create/v2/webhooks/{expoId} is described");
    assertMatches(hookBody, hookBodySchema, "webhook body", v2Doc);
    const hookResponse = await restOk(t, "POST", `/create/v2/webhooks/${event.id}`, 201, {
      body: JSON.stringify(hookBody),
    });
    const hook = JSON.parse(hookResponse.text) as { id: string; secret: string };
    assert.ok(hook.secret, "the secret is in the answer");
    assertMatches(hook, hookSchema, "webhook", v2Doc);
    const updateSchema =
      v2Doc.paths["/create/v2/webhooks/{expoId}/{webhookId}"]?.put?.requestBody?.content["application/json"]
        ?.schema;
    assert.ok(updateSchema, "PUT /create/v2/webhooks/{expoId}/{webhookId} is described");
    assertMatches({ state: "wait", enabled: true }, updateSchema, "update", v2Doc);
    const checks: [string, string][] = [
      ["/create/v2/webhooks/{expoId}", `/create/v2/webhooks/${event.id}`],
      ["/create/v2/webhooks/{expoId}/{webhookId}", `/create/v2/webhooks/${event.id}/${hook.id}`],
      ["/create/v2/expos", "/create/v2/expos?reference=openapi-v2"],
      ["/create/v2/expos/{expoId}", `/create/v2/expos/${event.id}`],
      ["/create/v2/registrationTypes/{expoId}", `/create/v2/registrationTypes/${event.id}`],
      ["/create/v2/visitors/{expoId}", `/create/v2/visitors/${event.id}`],
      ["/create/v2/visitors/{expoId}/{visitorId}", `/create/v2/visitors/${event.id}/${created.id}`],
      ["/create/v2/partners/{expoId}", `/create/v2/partners/${event.id}`],
      ["/create/v2/partners/{expoId}/{partnerId}", `/create/v2/partners/${event.id}/${partner.id}`],
    ];
    for (const [template, path] of checks) {
      const value = JSON.parse((await restOk(t, "GET", path, 200)).text);
      if (Array.isArray(value)) assert.ok(value.length > 0, `${path} is not empty`);
      const schema = must(v2Doc.paths[template].get.responses["200"].content, "the 200 response's content")[
        "application/json"
      ].schema;
      assertMatches(value, schema, path, v2Doc);
    }
    for (const [path, status] of [
      [`/create/v2/visitors/${event.id}?limit=0`, 422],
      [`/create/v2/visitors/${event.id}?contactId=1`, 400],
      [`/create/v2/visitors/${event.id}?webhookId=${hook.id}`, 404],
    ] as const) {
      const problem = JSON.parse((await restOk(t, "GET", path, status)).text);
      assertMatches(problem, v2Doc.components.schemas.Problem, path, v2Doc);
    }
  });
});
