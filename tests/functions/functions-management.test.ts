import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inArray } from "drizzle-orm";
import { functionRuns } from "@/schema/tables/index.js";
import {
  createApiKey,
  createFunction,
  FUNCTION_FIELDS,
  FUNCTION_RUN_FIELDS,
  type FunctionRef,
  type FunctionRunRef,
  failure,
  functionCode,
  otherOrganisation,
  runFunction,
  userWithRoles,
} from "../support/factories.js";
import { type As, startApp, type TestApp } from "../support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

const GET = `query($id: ID!) { function(id: $id) { ${FUNCTION_FIELDS} } }`;
const LIST = `{ functions { ${FUNCTION_FIELDS} } }`;
const CREATE = `mutation($input: CreateFunctionInput!) { createFunction(input: $input) { ${FUNCTION_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateFunctionInput!) { updateFunction(id: $id, input: $input) { ${FUNCTION_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteFunction(id: $id) { ${FUNCTION_FIELDS} } }`;
const RUN = `mutation($id: ID!, $input: JSON) { runFunction(id: $id, input: $input) { ${FUNCTION_RUN_FIELDS} } }`;
const RUNS = `query($functionId: ID!, $first: Int, $before: ID) {
  functionRuns(functionId: $functionId, first: $first, before: $before) {
    nodes { ${FUNCTION_RUN_FIELDS} } hasNextPage endCursor
  }
}`;

type RunsPage = { functionRuns: { nodes: FunctionRunRef[]; hasNextPage: boolean; endCursor: string | null } };

/** The field errors of a refused operation, as `field: message`. */
const fieldErrors = (result: Awaited<ReturnType<TestApp["gql"]>>) =>
  ((result.errors?.[0]?.extensions?.errors ?? []) as { field: string; message: string }[]).map(
    (entry) => `${entry.field}: ${entry.message}`,
  );

/** The whole lifecycle, as a given caller: create, read, list, update, run, list runs, delete. */
async function manageAs(as?: As) {
  const key = await createApiKey(t, {}, as);
  const created = await t.ok<{ createFunction: FunctionRef }>(
    CREATE,
    {
      input: {
        name: "Greeter",
        type: "ENDPOINT",
        key: `greeter-${Math.random().toString(36).slice(2, 8)}`,
        code: functionCode("console.log('hello', ctx.input); return { hello: ctx.input?.name ?? 'world' };"),
        apiKeyId: key.id,
      },
    },
    { as },
  );
  const fn = created.createFunction;
  assert.equal(fn.type, "ENDPOINT");
  assert.equal(fn.enabled, true, "enabled defaults to true");
  assert.equal(fn.apiKeyId, key.id);
  assert.equal(fn.lastSuccessAt, null);

  assert.deepEqual((await t.ok<{ function: FunctionRef }>(GET, { id: fn.id }, { as })).function, fn);
  const listed = await t.ok<{ functions: FunctionRef[] }>(LIST, {}, { as });
  assert.ok(listed.functions.some((entry) => entry.id === fn.id));

  const updated = await t.ok<{ updateFunction: FunctionRef }>(
    UPDATE,
    { id: fn.id, input: { name: "Greeter 2", enabled: false } },
    { as },
  );
  assert.equal(updated.updateFunction.name, "Greeter 2");
  assert.equal(updated.updateFunction.enabled, false);
  assert.equal(updated.updateFunction.key, fn.key, "fields not given are kept");

  // A MANUAL run waits and reports status, logs and the returned value (a disabled function too).
  const run = (
    await t.ok<{ runFunction: FunctionRunRef }>(RUN, { id: fn.id, input: { name: "Ada" } }, { as })
  ).runFunction;
  assert.equal(run.status, "SUCCEEDED", run.error ?? "");
  assert.equal(run.trigger, "MANUAL");
  assert.equal(run.functionId, fn.id);
  assert.deepEqual(run.result, { hello: "Ada" });
  assert.equal(run.logs, '[log] hello {"name":"Ada"}\n');
  assert.equal(run.error, null);
  assert.ok(run.finishedAt && Date.parse(run.finishedAt) >= Date.parse(run.startedAt));
  assert.equal(typeof run.durationMs, "number");

  const runs = await t.ok<RunsPage>(RUNS, { functionId: fn.id }, { as });
  assert.deepEqual(
    runs.functionRuns.nodes.map((node) => [node.id, node.status, node.logs]),
    [[run.id, "SUCCEEDED", run.logs]],
  );
  assert.equal(runs.functionRuns.nodes[0]?.result, null, "only runFunction carries the result");

  const deleted = await t.ok<{ deleteFunction: FunctionRef }>(DELETE, { id: fn.id }, { as });
  assert.equal(deleted.deleteFunction.id, fn.id);
  assert.equal(failure(await t.gql(GET, { id: fn.id }, { as })).code, "NOT_FOUND");
  assert.equal(failure(await t.gql(RUNS, { functionId: fn.id }, { as })).code, "NOT_FOUND");
}

describe("function management: who may", () => {
  it("lets an ADMIN create, read, list, update, run and delete a function", async () => {
    await manageAs(undefined);
  });

  it("lets a USER_ACCOUNT_MANAGEMENT user do the same", async () => {
    await manageAs(await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]));
  });

  it("refuses every function operation to a DATA_MANAGEMENT user and to an API key: 403 MISSING_ROLE", async () => {
    const fn = await createFunction(t);
    const dataUser = await userWithRoles(t, ["DATA_MANAGEMENT"]);
    const writableKey = (await createApiKey(t, { canWrite: true })).secret;
    const operations: [string, Record<string, unknown>][] = [
      [LIST, {}],
      [GET, { id: fn.id }],
      [
        CREATE,
        {
          input: {
            name: "X",
            type: "BACKGROUND_TASK",
            code: functionCode("return 1;"),
            apiKeyId: fn.apiKeyId,
          },
        },
      ],
      [UPDATE, { id: fn.id, input: { name: "Y" } }],
      [DELETE, { id: fn.id }],
      [RUN, { id: fn.id }],
      [RUNS, { functionId: fn.id }],
    ];
    for (const as of [dataUser, writableKey]) {
      for (const [query, variables] of operations) {
        const result = failure(await t.gql(query, variables, { as }));
        assert.deepEqual(
          [result.status, result.code, result.reason, result.data],
          [403, "FORBIDDEN", "MISSING_ROLE", null],
          query.slice(0, 40),
        );
      }
    }
    // Nothing was changed or run by the refused calls.
    const after = (await t.ok<{ function: FunctionRef }>(GET, { id: fn.id })).function;
    assert.equal(after.name, fn.name);
    const runs = await t.ok<RunsPage>(RUNS, { functionId: fn.id });
    assert.equal(runs.functionRuns.nodes.length, 0);
  });
});

describe("function management: checks at save", () => {
  it("refuses code with a syntax error (422), naming its line and column in the error for `code`", async () => {
    const key = await createApiKey(t);
    const code = "export default async function (ctx) {\n  const x = ;\n  return x;\n}\n";
    const result = await t.gql(CREATE, {
      input: { name: "Broken", type: "BACKGROUND_TASK", code, apiKeyId: key.id },
    });
    assert.deepEqual(failure(result), {
      status: 422,
      code: "BAD_USER_INPUT",
      reason: undefined,
      fields: ["code"],
      data: null,
    });
    const [message] = fieldErrors(result);
    assert.match(message ?? "", /^code: syntax error at line 2, column \d+: SyntaxError: /);
    const list = await t.ok<{ functions: FunctionRef[] }>(LIST);
    assert.ok(!list.functions.some((fn) => fn.name === "Broken"), "nothing was saved");

    // The same check on update; the saved code stays as it was.
    const fn = await createFunction(t, { apiKeyId: key.id });
    const refused = await t.gql(UPDATE, { id: fn.id, input: { code: "export default async function ( {" } });
    assert.deepEqual([failure(refused).status, failure(refused).fields], [422, ["code"]]);
    assert.match(fieldErrors(refused)[0] ?? "", /line 1, column \d+/);
    assert.equal((await t.ok<{ function: FunctionRef }>(GET, { id: fn.id })).function.code, fn.code);
  });

  it("compiles without running: code with a top-level side effect is saved and nothing runs", async () => {
    const fn = await createFunction(t, {
      code: "throw new Error('ran at save');\nexport default async () => 1;",
    });
    const runs = await t.ok<RunsPage>(RUNS, { functionId: fn.id });
    assert.equal(runs.functionRuns.nodes.length, 0);
  });

  it("requires `key` for an ENDPOINT and refuses one for a BACKGROUND_TASK", async () => {
    const key = await createApiKey(t);
    const base = { name: "K", code: functionCode("return 1;"), apiKeyId: key.id };
    const endpoint = failure(await t.gql(CREATE, { input: { ...base, type: "ENDPOINT" } }));
    assert.deepEqual([endpoint.status, endpoint.code, endpoint.fields], [422, "BAD_USER_INPUT", ["key"]]);
    const task = failure(
      await t.gql(CREATE, { input: { ...base, type: "BACKGROUND_TASK", key: "task-key" } }),
    );
    assert.deepEqual([task.status, task.code, task.fields], [422, "BAD_USER_INPUT", ["key"]]);

    // Updates are checked against the resulting function.
    const fn = await createFunction(t, { apiKeyId: key.id });
    const toEndpoint = failure(await t.gql(UPDATE, { id: fn.id, input: { type: "ENDPOINT" } }));
    assert.deepEqual([toEndpoint.status, toEndpoint.fields], [422, ["key"]]);
    const ok = await t.ok<{ updateFunction: FunctionRef }>(UPDATE, {
      id: fn.id,
      input: { type: "ENDPOINT", key: `made-endpoint-${fn.id}` },
    });
    assert.equal(ok.updateFunction.type, "ENDPOINT");
    const dropKey = failure(await t.gql(UPDATE, { id: fn.id, input: { key: null } }));
    assert.deepEqual([dropKey.status, dropKey.fields], [422, ["key"]]);
  });

  it("refuses a key that another function of the organisation has: 409", async () => {
    const first = await createFunction(t, { type: "ENDPOINT", key: "taken-key" });
    const result = failure(
      await t.gql(CREATE, {
        input: {
          name: "Second",
          type: "ENDPOINT",
          key: "taken-key",
          code: functionCode("return 1;"),
          apiKeyId: first.apiKeyId,
        },
      }),
    );
    assert.deepEqual([result.status, result.code], [409, "CONFLICT"]);

    const other = await createFunction(t, { type: "ENDPOINT", key: "free-key" });
    const moved = failure(await t.gql(UPDATE, { id: other.id, input: { key: "taken-key" } }));
    assert.deepEqual([moved.status, moved.code], [409, "CONFLICT"]);
    // Saving a function with its own key is no conflict.
    await t.ok(UPDATE, { id: first.id, input: { key: "taken-key", name: "Renamed" } });

    // Another organisation may use the same key.
    const otherAdmin = await otherOrganisation(t);
    const theirs = await createFunction(t, { type: "ENDPOINT", key: "taken-key" }, otherAdmin);
    assert.equal(theirs.key, "taken-key");
  });

  it("refuses all but one of concurrent saves of the same key with 409, never 500", async () => {
    const key = await createApiKey(t);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.gql(CREATE, {
          input: {
            name: `Racer ${i}`,
            type: "ENDPOINT",
            key: "raced-key",
            code: functionCode("return 1;"),
            apiKeyId: key.id,
          },
        }),
      ),
    );
    assert.deepEqual(results.map((result) => failure(result).status).sort(), [200, 409, 409, 409, 409]);
    const list = await t.ok<{ functions: FunctionRef[] }>(LIST);
    assert.equal(list.functions.filter((fn) => fn.key === "raced-key").length, 1);

    const [one, two] = await Promise.all([
      createFunction(t, { type: "ENDPOINT", key: "race-a", apiKeyId: key.id }),
      createFunction(t, { type: "ENDPOINT", key: "race-b", apiKeyId: key.id }),
    ]);
    const moves = await Promise.all(
      [one, two].map((fn) => t.gql(UPDATE, { id: fn.id, input: { key: "race-target" } })),
    );
    assert.deepEqual(moves.map((result) => failure(result).status).sort(), [200, 409]);
  });

  it("refuses an apiKeyId of another organisation (or none at all) with 422 naming apiKeyId", async () => {
    const otherAdmin = await otherOrganisation(t);
    const theirKey = await createApiKey(t, {}, otherAdmin);
    const input = { name: "Borrower", type: "BACKGROUND_TASK", code: functionCode("return 1;") };
    for (const apiKeyId of [theirKey.id, "nonexistentkey"]) {
      const result = failure(await t.gql(CREATE, { input: { ...input, apiKeyId } }));
      assert.deepEqual([result.status, result.code, result.fields], [422, "BAD_USER_INPUT", ["apiKeyId"]]);
    }
    const fn = await createFunction(t);
    const moved = failure(await t.gql(UPDATE, { id: fn.id, input: { apiKeyId: theirKey.id } }));
    assert.deepEqual([moved.status, moved.fields], [422, ["apiKeyId"]]);
  });

  it("lists every failing check at once", async () => {
    const result = failure(
      await t.gql(CREATE, {
        input: { name: "All wrong", type: "ENDPOINT", code: "export default (", apiKeyId: "nonexistentkey" },
      }),
    );
    assert.deepEqual([result.status, result.fields], [422, ["apiKeyId", "code", "key"]]);
  });
});

describe("function management: organisations", () => {
  it("treats another organisation's function ids as unknown: NOT_FOUND everywhere, absent from lists", async () => {
    const otherAdmin = await otherOrganisation(t);
    const theirs = await createFunction(t, { code: functionCode("return 'theirs';") }, otherAdmin);
    const operations: [string, Record<string, unknown>][] = [
      [GET, { id: theirs.id }],
      [UPDATE, { id: theirs.id, input: { name: "Hijacked" } }],
      [DELETE, { id: theirs.id }],
      [RUN, { id: theirs.id }],
      [RUNS, { functionId: theirs.id }],
    ];
    for (const [query, variables] of operations) {
      const result = failure(await t.gql(query, variables));
      assert.deepEqual(
        [result.status, result.code, result.data],
        [404, "NOT_FOUND", null],
        query.slice(0, 40),
      );
    }
    const list = await t.ok<{ functions: FunctionRef[] }>(LIST);
    assert.ok(!list.functions.some((fn) => fn.id === theirs.id));

    // Untouched, and never run.
    const still = await t.ok<{ function: FunctionRef }>(GET, { id: theirs.id }, { as: otherAdmin });
    assert.equal(still.function.name, theirs.name);
    const runs = await t.ok<RunsPage>(RUNS, { functionId: theirs.id }, { as: otherAdmin });
    assert.equal(runs.functionRuns.nodes.length, 0);
  });
});

describe("function runs", () => {
  it("records a failing run as FAILED with the error, returned by runFunction rather than raised", async () => {
    const fn = await createFunction(t, {
      code: functionCode("console.warn('about to fail'); throw new Error('no luck today');"),
    });
    const run = await runFunction(t, fn.id);
    assert.equal(run.status, "FAILED");
    assert.match(run.error ?? "", /^Error: no luck today/);
    assert.equal(run.logs, "[warn] about to fail\n");
    assert.equal(run.result, null);
  });

  it("lists runs newest first and pages with `before`", async () => {
    const fn = await createFunction(t, { code: functionCode("return ctx.input;") });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await runFunction(t, fn.id, i)).id);
    const newestFirst = [...ids].reverse();

    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: RunsPage = await t.ok<RunsPage>(RUNS, { functionId: fn.id, first: 2, before: cursor });
      seen.push(...page.functionRuns.nodes.map((node) => node.id));
      pages.push(page.functionRuns.nodes.length);
      assert.equal(page.functionRuns.endCursor, page.functionRuns.nodes.at(-1)?.id ?? null);
      if (!page.functionRuns.hasNextPage) break;
      cursor = page.functionRuns.endCursor;
    }
    assert.deepEqual(pages, [2, 2, 1]);
    assert.deepEqual(seen, newestFirst);

    const all = await t.ok<RunsPage>(RUNS, { functionId: fn.id });
    assert.deepEqual(
      all.functionRuns.nodes.map((node) => node.id),
      newestFirst,
    );
    assert.equal(all.functionRuns.hasNextPage, false);
    for (const first of [0, 101]) {
      assert.equal(failure(await t.gql(RUNS, { functionId: fn.id, first })).status, 422, `first: ${first}`);
    }
  });

  it("ends paging when the cursor's run was pruned meanwhile, and takes only the function's own runs as cursors", async () => {
    const fn = await createFunction(t, { code: functionCode("return ctx.input;") });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await runFunction(t, fn.id, i)).id);
    const page = await t.ok<RunsPage>(RUNS, { functionId: fn.id, first: 2 });
    const cursor = page.functionRuns.endCursor;
    assert.equal(cursor, ids[2]);
    // Retention removes the oldest runs: the cursor's run and everything older.
    await t.app.database.db.delete(functionRuns).where(inArray(functionRuns.id, ids.slice(0, 3)));
    const next = await t.ok<RunsPage>(RUNS, { functionId: fn.id, first: 2, before: cursor });
    assert.deepEqual([next.functionRuns.nodes, next.functionRuns.hasNextPage], [[], false]);

    // Another function's run id is no cursor here.
    const other = await createFunction(t);
    const foreign = await runFunction(t, other.id);
    const crossed = await t.ok<RunsPage>(RUNS, { functionId: fn.id, before: foreign.id });
    assert.deepEqual(crossed.functionRuns.nodes, []);
  });

  it("keeps runs per function: another function's runs are not listed", async () => {
    const one = await createFunction(t);
    const two = await createFunction(t);
    const run = await runFunction(t, one.id);
    await runFunction(t, two.id);
    const page = await t.ok<RunsPage>(RUNS, { functionId: one.id });
    assert.deepEqual(
      page.functionRuns.nodes.map((node) => node.id),
      [run.id],
    );
  });
});
