import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicAuth, createApiKey, createEvent } from "../support/factories.js";
import { startApp, type TestApp, waitFor } from "../support/harness.js";
import { rest } from "./support.js";

let t: TestApp;
before(async () => {
  t = await startApp({ STATS_FLUSH_MS: "50" });
});
after(() => t.close());

type Bucket = { type: string; calls: number; clientErrors: number; serverErrors: number };

describe("statistics of REST calls", () => {
  it("counts each REST call once for its API key, typed JSON (v1 and v2) or XML, with its outcome", async () => {
    const event = await createEvent(t);
    const key = await createApiKey(t, { canWrite: true });
    const as = basicAuth(key.secret);
    assert.equal((await rest(t, "GET", `/json/visitors/${event.id}`, { as })).status, 200);
    assert.equal((await rest(t, "GET", `/json/visitors/${event.id}/nosuchvisitor`, { as })).status, 404);
    assert.equal((await rest(t, "GET", `/create/v2/visitors/${event.id}`, { as })).status, 200);
    assert.equal((await rest(t, "GET", `/create/v2/visitors/${event.id}?contactId=1`, { as })).status, 400);
    assert.equal(
      (await rest(t, "POST", `/xml/visitors/${event.id}`, { as, body: "<visitor/>" })).status,
      201,
    );

    const day = 24 * 3_600_000;
    const totals = await waitFor(
      "REST calls in the statistics",
      async () => {
        const data = await t.ok<{ apiStatistics: Bucket[] }>(
          `query($from: DateTimeISO!, $until: DateTimeISO!, $keys: [ID!]) {
            apiStatistics(from: $from, until: $until, resolution: DAY, apiKeyIds: $keys) { type calls clientErrors serverErrors } }`,
          {
            from: new Date(Date.now() - day).toISOString(),
            until: new Date(Date.now() + day).toISOString(),
            keys: [key.id],
          },
        );
        const byType = (type: string) =>
          data.apiStatistics
            .filter((bucket) => bucket.type === type)
            .reduce(
              (sum, bucket) => ({
                calls: sum.calls + bucket.calls,
                clientErrors: sum.clientErrors + bucket.clientErrors,
              }),
              {
                calls: 0,
                clientErrors: 0,
              },
            );
        const result = { JSON: byType("JSON"), XML: byType("XML"), GRAPHQL: byType("GRAPHQL") };
        return result.JSON.calls + result.XML.calls >= 5 && result;
      },
      10_000,
    );
    assert.deepEqual(totals, {
      JSON: { calls: 4, clientErrors: 2 },
      XML: { calls: 1, clientErrors: 0 },
      // The in-process GraphQL operation behind each route is not counted a second time.
      GRAPHQL: { calls: 0, clientErrors: 0 },
    });
  });
});
