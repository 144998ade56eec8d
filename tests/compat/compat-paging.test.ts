import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { createEvent, createRegistrationType, createVisitor } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { type RestFormat, restOk } from "./support.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type Row = { id: string; revision: number; deleted: boolean; state?: string; type?: string };

const xmlList = new XMLParser({
  parseTagValue: false,
  isArray: (_name, path) => path === "visitors.visitor" || path === "partners.partner",
});

/** One page of a feed in either format, reduced to what paging is about. */
async function page(format: RestFormat, resource: string, eventId: string, query: string): Promise<Row[]> {
  const response = await restOk(t, "GET", `/${format}/${resource}/${eventId}?${query}`, 200);
  const records: Record<string, unknown>[] =
    format === "json"
      ? JSON.parse(response.text)
      : ((xmlList.parse(response.text) as Record<string, Record<string, Record<string, unknown>[]>>)[
          resource
        ]?.[resource.slice(0, -1)] ?? []);
  return records.map((record) => ({
    id: String(record.id),
    revision: Number(record.revision),
    deleted: String(record.deleted) === "true",
    ...(record["registration-state"] !== undefined && { state: String(record["registration-state"]) }),
    ...(record["registration-type-id"] !== undefined && { type: String(record["registration-type-id"]) }),
  }));
}

/** Syncs like an integrator: remember the highest revision seen, ask from the next one. */
async function syncAll(format: RestFormat, resource: string, eventId: string, limit: number, extra = "") {
  const seen: Row[] = [];
  let fromRevision = 0;
  for (let pages = 0; pages < 100; pages++) {
    const rows = await page(format, resource, eventId, `fromRevision=${fromRevision}&limit=${limit}${extra}`);
    assert.ok(rows.length <= limit);
    seen.push(...rows);
    if (rows.length < limit) return seen;
    fromRevision = must(rows.at(-1), "rows.at(-1)").revision + 1;
  }
  throw new Error("the feed did not end");
}

const gqlUpdate = (eventId: string, id: string, state: string) =>
  t.ok(
    "mutation($e: ID!, $id: ID!, $s: RegistrationState!) { updateVisitor(eventId: $e, id: $id, input: { registrationState: $s }) { id } }",
    {
      e: eventId,
      id,
      s: state,
    },
  );
const gqlDelete = (eventId: string, id: string) =>
  t.ok("mutation($e: ID!, $id: ID!) { deleteVisitor(eventId: $e, id: $id) { id } }", { e: eventId, id });

/** Seven visitors in two types and three states; two updated after the others, two deleted. */
async function feedFixture() {
  const event = await createEvent(t);
  const typeA = await createRegistrationType(t, event.id, "VISITOR");
  const typeB = await createRegistrationType(t, event.id, "VISITOR");
  const ids: string[] = [];
  for (let index = 0; index < 7; index++) {
    const visitor = await createVisitor(t, event.id, {
      registrationState: ["REGISTERED", "PENDING_CONFIRMATION", "INVITED"][index % 3],
      registrationTypeId: index % 2 === 0 ? typeA : typeB,
    });
    ids.push(visitor.id);
  }
  await gqlUpdate(event.id, ids[0], "CANCELLED");
  await gqlDelete(event.id, ids[2]);
  await gqlUpdate(event.id, ids[4], "PENDING_CONFIRMATION");
  await gqlDelete(event.id, ids[5]);
  return { event, ids, typeA, typeB };
}

describe("change feed over REST", () => {
  for (const format of ["json", "xml"] as const) {
    it(`${format}: paging with fromRevision and limit collects every record exactly once, in revision order, tombstones included`, async () => {
      const { event, ids } = await feedFixture();
      for (const limit of [1, 3, 7, 100]) {
        const rows = await syncAll(format, "visitors", event.id, limit);
        assert.deepEqual(
          rows.map((row) => row.id).sort(),
          [...ids].sort(),
          `limit ${limit}: each record once`,
        );
        const revisions = rows.map((row) => row.revision);
        assert.deepEqual(
          revisions,
          [...revisions].sort((a, b) => a - b),
          `limit ${limit}: revision order`,
        );
        assert.equal(new Set(revisions).size, revisions.length);
        assert.deepEqual(
          rows.filter((row) => row.deleted).map((row) => row.id),
          [ids[2], ids[5]],
          `limit ${limit}: tombstones, at their delete revisions`,
        );
        // Records written last come last: the feed is by revision, not by creation.
        assert.deepEqual(
          rows.slice(-4).map((row) => row.id),
          [ids[0], ids[2], ids[4], ids[5]],
        );
      }
    });

    it(`${format}: filters by registrationStates, registrationTypes and showDeleted (default true)`, async () => {
      const { event, ids, typeA } = await feedFixture();
      const all = await page(format, "visitors", event.id, "");
      assert.equal(all.length, 7);
      const live = await page(format, "visitors", event.id, "showDeleted=false");
      assert.deepEqual(
        live.map((row) => row.id).sort(),
        ids.filter((_, index) => index !== 2 && index !== 5).sort(),
      );
      assert.equal((await page(format, "visitors", event.id, "showDeleted=true")).length, 7);

      const pending = await page(
        format,
        "visitors",
        event.id,
        "registrationStates=pending-confirmation,cancelled",
      );
      assert.ok(pending.length > 0);
      assert.ok(pending.every((row) => row.state === "pending-confirmation" || row.state === "cancelled"));
      const expected = all.filter((row) => row.state === "pending-confirmation" || row.state === "cancelled");
      assert.deepEqual(pending, expected);

      const ofTypeA = await page(
        format,
        "visitors",
        event.id,
        `registrationTypes=${typeA}&showDeleted=false`,
      );
      assert.deepEqual(
        ofTypeA,
        all.filter((row) => row.type === typeA && !row.deleted),
      );
      const repeated = await page(
        format,
        "visitors",
        event.id,
        "registrationStates=invited&registrationStates=registered",
      );
      assert.deepEqual(
        repeated,
        all.filter((row) => row.state === "invited" || row.state === "registered"),
      );
    });
  }

  it("pages partners the same way, tombstones included", async () => {
    const event = await createEvent(t);
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const created = await restOk(t, "POST", `/json/partners/${event.id}`, 201, {
        body: JSON.stringify({ name: `Partner ${index}` }),
      });
      ids.push(JSON.parse(created.text).id);
    }
    await restOk(t, "DELETE", `/xml/partners/${event.id}/${ids[1]}`, 204);
    for (const format of ["json", "xml"] as const) {
      const rows = await syncAll(format, "partners", event.id, 2);
      assert.deepEqual(
        rows.map((row) => row.id),
        [ids[0], ids[2], ids[3], ids[4], ids[1]],
      );
      assert.deepEqual(
        rows.map((row) => row.deleted),
        [false, false, false, false, true],
      );
      const live = await syncAll(format, "partners", event.id, 2, "&showDeleted=false");
      assert.deepEqual(
        live.map((row) => row.id),
        [ids[0], ids[2], ids[3], ids[4]],
      );
    }
  });

  it("returns an empty list past the end: [] in JSON, <visitors/> in XML", async () => {
    const event = await createEvent(t);
    assert.equal(
      (await restOk(t, "GET", `/json/visitors/${event.id}?fromRevision=999999999`, 200)).text,
      "[]",
    );
    assert.match(
      (await restOk(t, "GET", `/xml/visitors/${event.id}`, 200)).text,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<visitors\/>$/,
    );
  });
});
