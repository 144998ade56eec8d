import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createEvent,
  createPartner,
  createRegistrationType,
  createVisitor,
  failure,
  userWithRoles,
} from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type TypeData = { id: string; eventId: string | null; name: string; kind: string; reference: string | null };

const CREATE = `mutation($eventId: ID, $input: CreateRegistrationTypeInput!) {
  createRegistrationType(eventId: $eventId, input: $input) { id eventId name kind reference }
}`;
const LIST =
  "query($eventId: ID) { registrationTypes(eventId: $eventId) { id eventId name kind reference } }";
const CREATE_VISITOR = `mutation($eventId: ID!, $input: CreateVisitorInput!) {
  createVisitor(eventId: $eventId, input: $input) { id registrationTypeId registrationType { id name kind } }
}`;
const UPDATE_VISITOR = `mutation($eventId: ID!, $id: ID!, $input: UpdateVisitorInput!) {
  updateVisitor(eventId: $eventId, id: $id, input: $input) { id registrationTypeId revision }
}`;
const CREATE_PARTNER = `mutation($eventId: ID!, $input: CreatePartnerInput!) {
  createPartner(eventId: $eventId, input: $input) { id registrationTypeId registrationType { id kind } }
}`;
const VISITOR_IDS = "query($eventId: ID!) { visitors(eventId: $eventId) { edges { node { id } } } }";

async function listTypes(eventId: string | null): Promise<TypeData[]> {
  return (await t.ok<{ registrationTypes: TypeData[] }>(LIST, { eventId })).registrationTypes;
}

async function visitorCount(eventId: string): Promise<number> {
  return (await t.ok<{ visitors: { edges: unknown[] } }>(VISITOR_IDS, { eventId })).visitors.edges.length;
}

describe("registration types", () => {
  it("creates an event-level type with every field", async () => {
    const event = await createEvent(t);
    const { createRegistrationType: type } = await t.ok<{ createRegistrationType: TypeData }>(CREATE, {
      eventId: event.id,
      input: { name: "Press", kind: "VISITOR", reference: "press-1" },
    });
    assert.match(type.id, /^[a-z0-9]{20}$/);
    assert.deepEqual(type, {
      id: type.id,
      eventId: event.id,
      name: "Press",
      kind: "VISITOR",
      reference: "press-1",
    });
  });

  it("creates an organisation-wide type when eventId is null or omitted", async () => {
    const explicit = await t.ok<{ createRegistrationType: TypeData }>(CREATE, {
      eventId: null,
      input: { name: "Exhibitor", kind: "PARTNER" },
    });
    assert.equal(explicit.createRegistrationType.eventId, null);
    assert.equal(explicit.createRegistrationType.kind, "PARTNER");
    const omitted = await t.ok<{ createRegistrationType: TypeData }>(
      "mutation($input: CreateRegistrationTypeInput!) { createRegistrationType(input: $input) { id eventId } }",
      { input: { name: "Guest", kind: "VISITOR" } },
    );
    assert.equal(omitted.createRegistrationType.eventId, null);
  });

  it("lists an event's own types together with the organisation-wide ones, but not another event's", async () => {
    const event = await createEvent(t);
    const other = await createEvent(t);
    const own = await createRegistrationType(t, event.id);
    const ownPartner = await createRegistrationType(t, event.id, "PARTNER");
    const wide = await createRegistrationType(t, null);
    const foreign = await createRegistrationType(t, other.id);

    const ids = (await listTypes(event.id)).map((type) => type.id);
    for (const id of [own, ownPartner, wide]) assert.ok(ids.includes(id), id);
    assert.ok(!ids.includes(foreign));

    const orgWide = (await listTypes(null)).map((type) => type.id);
    assert.ok(orgWide.includes(wide));
    assert.ok(!orgWide.includes(own) && !orgWide.includes(foreign));
  });

  it("names an empty name and a too long reference", async () => {
    const event = await createEvent(t);
    const result = await t.gql(CREATE, {
      eventId: event.id,
      input: { name: " ", kind: "VISITOR", reference: "r".repeat(201) },
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["name", "reference"]);
    assert.equal((await listTypes(event.id)).filter((type) => type.eventId === event.id).length, 0);
  });

  it("answers NOT_FOUND for the types of, or a new type in, an unknown event", async () => {
    const list = await t.gql(LIST, { eventId: "unknownevent1" });
    assert.equal(list.status, 404);
    assert.equal(failure(list).code, "NOT_FOUND");
    const create = await t.gql(CREATE, { eventId: "unknownevent1", input: { name: "X", kind: "VISITOR" } });
    assert.equal(create.status, 404);
    assert.equal(failure(create).code, "NOT_FOUND");
  });

  it("refuses types to a USER_ACCOUNT_MANAGEMENT-only user", async () => {
    const token = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
    const list = await t.gql(LIST, { eventId: null }, { as: token });
    assert.deepEqual([list.status, failure(list).reason], [403, "MISSING_ROLE"]);
    const create = await t.gql(
      CREATE,
      { eventId: null, input: { name: "X", kind: "VISITOR" } },
      { as: token },
    );
    assert.deepEqual([create.status, failure(create).reason], [403, "MISSING_ROLE"]);
  });

  describe("on visitors", () => {
    it("accepts the event's own VISITOR type and an organisation-wide one, and resolves registrationType", async () => {
      const event = await createEvent(t);
      const own = await createRegistrationType(t, event.id);
      const wide = await createRegistrationType(t, null);
      for (const typeId of [own, wide]) {
        const data = await t.ok<{
          createVisitor: { registrationTypeId: string; registrationType: { id: string; kind: string } };
        }>(CREATE_VISITOR, { eventId: event.id, input: { registrationTypeId: typeId } });
        assert.equal(data.createVisitor.registrationTypeId, typeId);
        assert.equal(data.createVisitor.registrationType.id, typeId);
        assert.equal(data.createVisitor.registrationType.kind, "VISITOR");
      }
    });

    it("refuses a PARTNER type, naming registrationTypeId, and writes nothing", async () => {
      const event = await createEvent(t);
      const partnerType = await createRegistrationType(t, event.id, "PARTNER");
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { registrationTypeId: partnerType },
      });
      assert.deepEqual(failure(result), {
        status: 422,
        code: "BAD_USER_INPUT",
        reason: undefined,
        fields: ["registrationTypeId"],
        data: null,
      });
      assert.equal(await visitorCount(event.id), 0);
    });

    it("refuses a registration type of another event, naming the field", async () => {
      const event = await createEvent(t);
      const other = await createEvent(t);
      const foreign = await createRegistrationType(t, other.id);
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { registrationTypeId: foreign },
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["registrationTypeId"]);
      assert.equal(await visitorCount(event.id), 0);
    });

    it("refuses an unknown registration type id, naming the field", async () => {
      const event = await createEvent(t);
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { registrationTypeId: "nosuchtype" },
      });
      assert.deepEqual(failure(result).fields, ["registrationTypeId"]);
    });

    it("refuses an update to a type of another event and keeps the visitor's type and revision", async () => {
      const event = await createEvent(t);
      const other = await createEvent(t);
      const own = await createRegistrationType(t, event.id);
      const foreign = await createRegistrationType(t, other.id);
      const visitor = await createVisitor(t, event.id, { registrationTypeId: own });
      const result = await t.gql(UPDATE_VISITOR, {
        eventId: event.id,
        id: visitor.id,
        input: { registrationTypeId: foreign },
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["registrationTypeId"]);
      const read = await t.ok<{ visitor: { registrationTypeId: string; revision: number } }>(
        "query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { registrationTypeId revision } }",
        { eventId: event.id, id: visitor.id },
      );
      assert.deepEqual(read.visitor, { registrationTypeId: own, revision: visitor.revision });
    });

    it("lets an update clear the type with null", async () => {
      const event = await createEvent(t);
      const own = await createRegistrationType(t, event.id);
      const visitor = await createVisitor(t, event.id, { registrationTypeId: own });
      const data = await t.ok<{ updateVisitor: { registrationTypeId: string | null } }>(UPDATE_VISITOR, {
        eventId: event.id,
        id: visitor.id,
        input: { registrationTypeId: null },
      });
      assert.equal(data.updateVisitor.registrationTypeId, null);
    });
  });

  describe("on partners", () => {
    it("accepts a PARTNER type and refuses a VISITOR type, naming registrationTypeId", async () => {
      const event = await createEvent(t);
      const partnerType = await createRegistrationType(t, null, "PARTNER");
      const visitorType = await createRegistrationType(t, event.id, "VISITOR");
      const ok = await t.ok<{ createPartner: { registrationType: { id: string; kind: string } } }>(
        CREATE_PARTNER,
        { eventId: event.id, input: { name: "Acme", registrationTypeId: partnerType } },
      );
      assert.deepEqual(ok.createPartner.registrationType, { id: partnerType, kind: "PARTNER" });

      const refused = await t.gql(CREATE_PARTNER, {
        eventId: event.id,
        input: { name: "Acme", registrationTypeId: visitorType },
      });
      assert.equal(refused.status, 422);
      assert.deepEqual(failure(refused).fields, ["registrationTypeId"]);
    });

    it("refuses a partner type of another event on update, naming the field", async () => {
      const event = await createEvent(t);
      const other = await createEvent(t);
      const foreign = await createRegistrationType(t, other.id, "PARTNER");
      const partner = await createPartner(t, event.id);
      const result = await t.gql(
        "mutation($eventId: ID!, $id: ID!, $input: UpdatePartnerInput!) { updatePartner(eventId: $eventId, id: $id, input: $input) { id } }",
        { eventId: event.id, id: partner.id, input: { registrationTypeId: foreign } },
      );
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["registrationTypeId"]);
    });
  });
});
