import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
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
