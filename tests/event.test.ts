import { must } from "./support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createApiKey,
  createEvent,
  createQuestion,
  createRegistrationType,
  failure,
  userWithRoles,
} from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

const EVENT_FIELDS = "id name description reference start end timezone contactEmail createdAt updatedAt";

const CREATE = `mutation($input: CreateEventInput!) { createEvent(input: $input) { ${EVENT_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { ${EVENT_FIELDS} } }`;
const GET = `query($id: ID!) { event(id: $id) { ${EVENT_FIELDS} } }`;
const LIST = "{ events { id name start } }";

type EventData = {
  id: string;
  name: string;
  description: string | null;
  reference: string | null;
  start: string;
  end: string;
  timezone: string;
  contactEmail: string | null;
  createdAt: string;
  updatedAt: string;
};

const validInput = (overrides: Record<string, unknown> = {}) => ({
  name: "Spring Expo",
  start: "2027-04-01T08:00:00.000Z",
  end: "2027-04-03T17:00:00.000Z",
  ...overrides,
});

async function eventIds(): Promise<string[]> {
  const data = await t.ok<{ events: { id: string }[] }>(LIST);
  return data.events.map((event) => event.id);
}

async function readEvent(id: string): Promise<EventData> {
  return (await t.ok<{ event: EventData }>(GET, { id })).event;
}

describe("events", () => {
  it("creates an event with every field and reads it back by id", async () => {
    const input = validInput({
      description: "Three days of trade fair",
      reference: "crm-2027",
      timezone: "Europe/Amsterdam",
      contactEmail: "info@expo.test",
    });
    const { createEvent: created } = await t.ok<{ createEvent: EventData }>(CREATE, { input });
    assert.match(created.id, /^[a-z0-9]{13}$/);
    assert.deepEqual(
      {
        name: created.name,
        description: created.description,
        reference: created.reference,
        start: created.start,
        end: created.end,
        timezone: created.timezone,
        contactEmail: created.contactEmail,
      },
      input,
    );
    assert.deepEqual(await readEvent(created.id), created);
  });

  it("defaults the time zone to UTC and leaves optional fields null", async () => {
    const { createEvent: created } = await t.ok<{ createEvent: EventData }>(CREATE, { input: validInput() });
    assert.equal(created.timezone, "UTC");
    assert.equal(created.description, null);
    assert.equal(created.reference, null);
    assert.equal(created.contactEmail, null);
  });

  it("lists the organisation's events by start date", async () => {
    const late = await createEvent(t, undefined, {
      start: "2031-05-01T00:00:00Z",
      end: "2031-05-02T00:00:00Z",
    });
    const early = await createEvent(t, undefined, {
      start: "2001-05-01T00:00:00Z",
      end: "2001-05-02T00:00:00Z",
    });
    const { events } = await t.ok<{ events: { id: string; start: string }[] }>(LIST);
    const ids = events.map((event) => event.id);
    assert.ok(ids.indexOf(early.id) < ids.indexOf(late.id));
    const starts = events.map((event) => event.start);
    assert.deepEqual([...starts].sort(), starts);
  });

  it("updates only the given fields and clears the ones set to null", async () => {
    const { createEvent: created } = await t.ok<{ createEvent: EventData }>(CREATE, {
      input: validInput({ description: "old", reference: "ref-1", contactEmail: "old@expo.test" }),
    });
    const { updateEvent: updated } = await t.ok<{ updateEvent: EventData }>(UPDATE, {
      id: created.id,
      input: {
        name: "Renamed Expo",
        description: null,
        contactEmail: "New@Expo.test",
        timezone: "Asia/Tokyo",
      },
    });
    assert.equal(updated.name, "Renamed Expo");
    assert.equal(updated.description, null);
    assert.equal(updated.reference, "ref-1");
    assert.equal(updated.contactEmail, "New@Expo.test");
    assert.equal(updated.timezone, "Asia/Tokyo");
    assert.equal(updated.start, created.start);
    assert.equal(updated.end, created.end);
    assert.ok(updated.updatedAt >= created.updatedAt);
    assert.deepEqual(await readEvent(created.id), updated);
  });

  it("accepts an event that ends when it starts", async () => {
    const at = "2027-06-01T10:00:00.000Z";
    const { createEvent: created } = await t.ok<{ createEvent: EventData }>(CREATE, {
      input: validInput({ start: at, end: at }),
    });
    assert.equal(created.end, at);
  });

  it("refuses an end before the start, naming `end`, and writes nothing", async () => {
    const before = await eventIds();
    const result = await t.gql(CREATE, {
      input: validInput({ start: "2027-04-03T00:00:00Z", end: "2027-04-01T00:00:00Z" }),
    });
    assert.deepEqual(failure(result), {
      status: 422,
      code: "BAD_USER_INPUT",
      reason: undefined,
      fields: ["end"],
      data: null,
    });
    assert.deepEqual(await eventIds(), before);
  });

  it("refuses an update that moves the end before the stored start, naming `end`, and keeps the event", async () => {
    const { createEvent: created } = await t.ok<{ createEvent: EventData }>(CREATE, { input: validInput() });
    const result = await t.gql(UPDATE, {
      id: created.id,
      input: { name: "Moved", end: "2027-03-01T00:00:00Z" },
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["end"]);
    assert.deepEqual(await readEvent(created.id), created);

    const later = await t.gql(UPDATE, { id: created.id, input: { start: "2028-01-01T00:00:00Z" } });
    assert.deepEqual(failure(later).fields, ["end"]);
    assert.deepEqual(await readEvent(created.id), created);
  });

  it("names a bad time zone", async () => {
    const result = await t.gql(CREATE, { input: validInput({ timezone: "Mars/Olympus_Mons" }) });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["timezone"]);
  });

  it("names a bad contact email", async () => {
    const result = await t.gql(CREATE, { input: validInput({ contactEmail: "not-an-email" }) });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["contactEmail"]);
  });

  it("names every bad field at once", async () => {
    const before = await eventIds();
    const result = await t.gql(CREATE, {
      input: validInput({
        name: "   ",
        timezone: "Nowhere/Land",
        contactEmail: "@",
        reference: "x".repeat(201),
      }),
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["contactEmail", "name", "reference", "timezone"]);
    assert.deepEqual(await eventIds(), before);
  });

  it("refuses bad fields on update and keeps the event unchanged", async () => {
    const { createEvent: created } = await t.ok<{ createEvent: EventData }>(CREATE, { input: validInput() });
    const result = await t.gql(UPDATE, {
      id: created.id,
      input: { name: "", timezone: "Bad/Zone", contactEmail: "nope" },
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["contactEmail", "name", "timezone"]);
    assert.deepEqual(await readEvent(created.id), created);
  });

  it("answers NOT_FOUND (404) for an unknown event id", async () => {
    const result = await t.gql(GET, { id: "zzzzzzzzzzzzz" });
    assert.deepEqual(failure(result), {
      status: 404,
      code: "NOT_FOUND",
      reason: undefined,
      fields: [],
      data: null,
    });
    const update = await t.gql(UPDATE, { id: "zzzzzzzzzzzzz", input: { name: "Ghost" } });
    assert.equal(update.status, 404);
    assert.equal(failure(update).code, "NOT_FOUND");
  });

  it("exposes the event's registration types and questions", async () => {
    const event = await createEvent(t);
    const own = await createRegistrationType(t, event.id);
    const wide = await createRegistrationType(t, null, "PARTNER");
    const question = await createQuestion(t, event.id, "TEXT");
    const data = await t.ok<{ event: { registrationTypes: { id: string }[]; questions: { id: string }[] } }>(
      "query($id: ID!) { event(id: $id) { registrationTypes { id } questions { id } } }",
      { id: event.id },
    );
    const typeIds = data.event.registrationTypes.map((type) => type.id);
    assert.ok(typeIds.includes(own) && typeIds.includes(wide));
    assert.deepEqual(
      data.event.questions.map((q) => q.id),
      [question.id],
    );
  });

  describe("the events' change feed", () => {
    const PAGE = `query($first: Int, $filter: EventFilter) {
      events(first: $first, filter: $filter) { id reference revision } }`;
    type Row = { id: string; reference: string | null; revision: number };
    const page = async (variables: Record<string, unknown>, as?: string) =>
      (await t.ok<{ events: Row[] }>(PAGE, variables, { as })).events;

    it("gives an event a new, higher revision on create and on every update", async () => {
      const created = await t.ok<{ createEvent: { id: string; revision: number } }>(
        "mutation($input: CreateEventInput!) { createEvent(input: $input) { id revision } }",
        { input: validInput() },
      );
      const first = created.createEvent.revision;
      const createdBetween = await createEvent(t);
      const updated = await t.ok<{ updateEvent: { revision: number } }>(
        'mutation($id: ID!) { updateEvent(id: $id, input: { name: "Renamed" }) { revision } }',
        { id: created.createEvent.id },
      );
      assert.ok(Number.isSafeInteger(first) && first > 0);
      assert.ok(updated.updateEvent.revision > first);
      const between = await page({ filter: { fromRevision: first } });
      assert.ok(between.some((event) => event.id === createdBetween.id));
      assert.equal(between.at(-1)?.id, created.createEvent.id, "the updated event moves to the end");
    });

    it("pages in revision order from fromRevision, first at a time, and filters by reference", async () => {
      const reference = `ref-${Date.now()}`;
      const made: { id: string }[] = [];
      for (let index = 0; index < 5; index++) {
        made.push(await createEvent(t, undefined, { reference: index % 2 === 0 ? reference : null }));
      }
      const all = await page({ filter: { fromRevision: 0 }, first: 100 });
      const revisions = all.map((event) => event.revision);
      assert.deepEqual(
        [...revisions].sort((a, b) => a - b),
        revisions,
        "revision order",
      );
      const start = must(
        all.find((event) => event.id === made[0].id),
        "the first created event in the list",
      ).revision;
      const seen: string[] = [];
      let from = start;
      for (;;) {
        const next = await page({ filter: { fromRevision: from }, first: 2 });
        if (next.length === 0) break;
        assert.ok(next.length <= 2);
        seen.push(...next.map((event) => event.id));
        from = must(next.at(-1), "next.at(-1)").revision + 1;
      }
      assert.deepEqual(
        seen.filter((id) => made.some((event) => event.id === id)),
        made.map((event) => event.id),
      );
      const referenced = await page({ filter: { reference } });
      assert.deepEqual(
        referenced.map((event) => event.id),
        [made[0].id, made[2].id, made[4].id],
      );
    });

    it("keeps the plain list of every event by start date, and scopes pages to an API key's events", async () => {
      const mine = await createEvent(t);
      await createEvent(t);
      const key = await createApiKey(t, { eventIds: [mine.id] });
      assert.deepEqual(
        (await page({ first: 100 }, key.secret)).map((event) => event.id),
        [mine.id],
      );
      const plain = await t.ok<{ events: { id: string }[] }>(LIST);
      assert.ok(plain.events.length >= 2);
    });

    it("refuses a page size outside 1 to 100 and a negative fromRevision, naming them", async () => {
      for (const [variables, field] of [
        [{ first: 0 }, "first"],
        [{ first: 101 }, "first"],
        [{ filter: { fromRevision: 0 }, first: 1000 }, "first"],
      ] as const) {
        const result = await t.gql(PAGE, variables);
        assert.equal(result.status, 422, JSON.stringify(variables));
        assert.deepEqual(failure(result).fields, [field]);
      }
      const negative = await t.gql(PAGE, { filter: { fromRevision: -1 } });
      assert.equal(failure(negative).code, "BAD_USER_INPUT");
    });
  });

  it("tells event registration types (EXPO) from organisation-wide ones (ORGANIZATION)", async () => {
    const event = await createEvent(t);
    const own = await createRegistrationType(t, event.id);
    const wide = await createRegistrationType(t, null, "PARTNER");
    const data = await t.ok<{ registrationTypes: { id: string; level: string }[] }>(
      "query($id: ID) { registrationTypes(eventId: $id) { id level } }",
      { id: event.id },
    );
    const level = (id: string) => data.registrationTypes.find((type) => type.id === id)?.level;
    assert.equal(level(own), "EXPO");
    assert.equal(level(wide), "ORGANIZATION");
  });

  describe("roles", () => {
    it("lets a DATA_MANAGEMENT user create, update and read events", async () => {
      const token = await userWithRoles(t, ["DATA_MANAGEMENT"]);
      const event = await createEvent(t, token);
      await t.ok(UPDATE, { id: event.id, input: { name: "By data manager" } }, { as: token });
      const read = await t.ok<{ event: EventData }>(GET, { id: event.id }, { as: token });
      assert.equal(read.event.name, "By data manager");
    });

    it("refuses events to a USER_ACCOUNT_MANAGEMENT-only user with 403 MISSING_ROLE", async () => {
      const token = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
      const event = await createEvent(t);
      for (const [query, variables] of [
        [LIST, {}],
        [GET, { id: event.id }],
        [CREATE, { input: validInput() }],
        [UPDATE, { id: event.id, input: { name: "Nope" } }],
      ] as const) {
        const result = await t.gql(query, variables, { as: token });
        assert.equal(result.status, 403, query);
        assert.equal(failure(result).code, "FORBIDDEN");
        assert.equal(failure(result).reason, "MISSING_ROLE");
      }
      assert.notEqual((await readEvent(event.id)).name, "Nope");
    });

    it("refuses an anonymous caller with 401", async () => {
      const result = await t.gql(LIST, {}, { as: null });
      assert.equal(result.status, 401);
      assert.equal(failure(result).code, "UNAUTHENTICATED");
      assert.equal(failure(result).reason, "MISSING_CREDENTIALS");
    });
  });
});
