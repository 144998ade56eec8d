import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createApiKey,
  createEvent,
  createPartner,
  createQuestion,
  createRegistrationType,
  createVisitor,
  failure,
} from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

// SPEC section 3: a valid key used outside its scope is refused with 403: an event not in
// `eventIds` (EVENT_NOT_ALLOWED), a write with `canWrite` false (READ_ONLY_KEY).

let t: TestApp;
// Two events: the scoped key may use `inside`, not `outside`.
const world = {} as {
  inside: string;
  outside: string;
  orgType: string;
  insideType: string;
  outsideType: string;
  insideQuestion: string;
  outsideQuestion: string;
  insideVisitor: string;
  outsideVisitor: string;
  insidePartner: string;
  outsidePartner: string;
};
before(async () => {
  t = await startApp();
  world.inside = (await createEvent(t)).id;
  world.outside = (await createEvent(t)).id;
  world.orgType = await createRegistrationType(t, null);
  world.insideType = await createRegistrationType(t, world.inside);
  world.outsideType = await createRegistrationType(t, world.outside);
  world.insideQuestion = (await createQuestion(t, world.inside, "TEXT")).id;
  world.outsideQuestion = (await createQuestion(t, world.outside, "TEXT")).id;
  world.insideVisitor = (await createVisitor(t, world.inside)).id;
  world.outsideVisitor = (await createVisitor(t, world.outside)).id;
  world.insidePartner = (await createPartner(t, world.inside)).id;
  world.outsidePartner = (await createPartner(t, world.outside)).id;
});
after(() => t.close());

const ids = (rows: { id: string }[]) => rows.map((row) => row.id).sort();

/** Every data mutation, aimed at one event (and its records); `eventId` null only for createEvent. */
function dataMutations(
  eventId: string,
  visitorId: string,
  partnerId: string,
): [string, string, Record<string, unknown>][] {
  const contact = { firstName: "Scope", lastName: "Test", email: "scope@example.test" };
  return [
    [
      "createEvent",
      'mutation { createEvent(input: { name: "New", start: "2027-01-01T00:00:00Z", end: "2027-01-02T00:00:00Z" }) { id } }',
      {},
    ],
    [
      "updateEvent",
      'mutation($e: ID!) { updateEvent(id: $e, input: { name: "Renamed" }) { id } }',
      { e: eventId },
    ],
    [
      "createRegistrationType",
      'mutation($e: ID) { createRegistrationType(eventId: $e, input: { name: "New type", kind: VISITOR }) { id } }',
      { e: eventId },
    ],
    [
      "createQuestion",
      'mutation($e: ID!) { createQuestion(eventId: $e, input: { text: "New?", kind: TEXT }) { id } }',
      { e: eventId },
    ],
    [
      "createVisitor",
      "mutation($e: ID!, $c: ContactInput) { createVisitor(eventId: $e, input: { registrationState: INVITED, contact: $c }) { id } }",
      { e: eventId, c: contact },
    ],
    [
      "createVisitors",
      "mutation($e: ID!, $c: ContactInput) { createVisitors(eventId: $e, inputs: [{ registrationState: INVITED, contact: $c }]) { id } }",
      { e: eventId, c: contact },
    ],
    [
      "updateVisitor",
      "mutation($e: ID!, $id: ID!) { updateVisitor(eventId: $e, id: $id, input: { registrationState: CANCELLED }) { id } }",
      { e: eventId, id: visitorId },
    ],
    [
      "deleteVisitor",
      "mutation($e: ID!, $id: ID!) { deleteVisitor(eventId: $e, id: $id) { id } }",
      { e: eventId, id: visitorId },
    ],
    [
      "createPartner",
      'mutation($e: ID!) { createPartner(eventId: $e, input: { name: "New partner" }) { id } }',
      { e: eventId },
    ],
    [
      "createPartners",
      'mutation($e: ID!) { createPartners(eventId: $e, inputs: [{ name: "Bulk partner" }]) { id } }',
      { e: eventId },
    ],
    [
      "updatePartner",
      'mutation($e: ID!, $id: ID!) { updatePartner(eventId: $e, id: $id, input: { stand: "B12" }) { id } }',
      { e: eventId, id: partnerId },
    ],
    [
      "deletePartner",
      "mutation($e: ID!, $id: ID!) { deletePartner(eventId: $e, id: $id) { id } }",
      { e: eventId, id: partnerId },
    ],
  ];
}

/** Everything the mutations could change, read as the admin. */
async function snapshot() {
  const read = async (eventId: string) =>
    t.ok(
      `query($e: ID!) {
        event(id: $e) { id name updatedAt registrationTypes { id } questions { id } }
        visitors(eventId: $e) { edges { node { id revision deleted registrationState } } }
        partners(eventId: $e) { edges { node { id revision deleted stand } } }
      }`,
      { e: eventId },
    );
  return {
    events: await t.ok("{ events { id name updatedAt } }"),
    orgTypes: await t.ok("{ registrationTypes { id } }"),
    inside: await read(world.inside),
    outside: await read(world.outside),
  };
}

describe("an event-scoped key", () => {
  it("sees only its events in every list", async () => {
    const key = await createApiKey(t, { eventIds: [world.inside] });
    const events = await t.ok<{ events: { id: string }[] }>("{ events { id } }", {}, { as: key.secret });
    assert.deepEqual(ids(events.events), [world.inside]);
    // The admin sees both.
    const all = await t.ok<{ events: { id: string }[] }>("{ events { id } }");
    assert.ok(all.events.some((event) => event.id === world.outside));

    const types = await t.ok<{ registrationTypes: { id: string }[] }>(
      "query($e: ID) { registrationTypes(eventId: $e) { id } }",
      { e: world.inside },
      { as: key.secret },
    );
    assert.deepEqual(ids(types.registrationTypes), [world.insideType, world.orgType].sort());
    const orgWide = await t.ok<{ registrationTypes: { id: string }[] }>(
      "{ registrationTypes { id } }",
      {},
      { as: key.secret },
    );
    assert.deepEqual(ids(orgWide.registrationTypes), [world.orgType]);

    const event = await t.ok<{
      event: { registrationTypes: { id: string }[]; questions: { id: string }[] };
    }>(
      "query($e: ID!) { event(id: $e) { registrationTypes { id } questions { id } } }",
      { e: world.inside },
      { as: key.secret },
    );
    assert.deepEqual(ids(event.event.registrationTypes), [world.insideType, world.orgType].sort());
    assert.deepEqual(ids(event.event.questions), [world.insideQuestion]);

    const questions = await t.ok<{ questions: { id: string }[] }>(
      "query($e: ID!) { questions(eventId: $e) { id } }",
      { e: world.inside },
      { as: key.secret },
    );
    assert.deepEqual(ids(questions.questions), [world.insideQuestion]);

    const feeds = await t.ok<{
      visitors: { edges: { node: { id: string } }[] };
      partners: { edges: { node: { id: string } }[] };
    }>(
      "query($e: ID!) { visitors(eventId: $e) { edges { node { id } } } partners(eventId: $e) { edges { node { id } } } }",
      { e: world.inside },
      { as: key.secret },
    );
    assert.ok(feeds.visitors.edges.some((edge) => edge.node.id === world.insideVisitor));
    assert.ok(!feeds.visitors.edges.some((edge) => edge.node.id === world.outsideVisitor));
    assert.ok(feeds.partners.edges.some((edge) => edge.node.id === world.insidePartner));
  });

  it("is refused every read of another event: 403 EVENT_NOT_ALLOWED", async () => {
    const key = await createApiKey(t, { eventIds: [world.inside] });
    const reads: [string, Record<string, unknown>][] = [
      ["query($e: ID!) { event(id: $e) { id } }", { e: world.outside }],
      ["query($e: ID) { registrationTypes(eventId: $e) { id } }", { e: world.outside }],
      ["query($e: ID!) { questions(eventId: $e) { id } }", { e: world.outside }],
      ["query($e: ID!) { visitors(eventId: $e) { edges { node { id } } } }", { e: world.outside }],
      [
        "query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { id } }",
        { e: world.outside, id: world.outsideVisitor },
      ],
      ["query($e: ID!) { partners(eventId: $e) { edges { node { id } } } }", { e: world.outside }],
      [
        "query($e: ID!, $id: ID!) { partner(eventId: $e, id: $id) { id } }",
        { e: world.outside, id: world.outsidePartner },
      ],
    ];
    for (const [query, variables] of reads) {
      const result = failure(await t.gql(query, variables, { as: key.secret }));
      assert.deepEqual(
        [result.status, result.code, result.reason, result.data],
        [403, "FORBIDDEN", "EVENT_NOT_ALLOWED", null],
        query,
      );
    }
    // A visitor of its own event, asked for under another event, is not found there.
    const misplaced = failure(
      await t.gql(
        "query($e: ID!, $id: ID!) { visitor(eventId: $e, id: $id) { id } }",
        { e: world.inside, id: world.outsideVisitor },
        { as: key.secret },
      ),
    );
    assert.equal(misplaced.status, 404);
  });

  it("writes in its events, and is refused every write elsewhere (EVENT_NOT_ALLOWED), changing nothing", async () => {
    const key = await createApiKey(t, { eventIds: [world.inside], canWrite: true });
    await createVisitor(t, world.inside, {}, key.secret);

    const before = await snapshot();
    for (const [name, query, variables] of dataMutations(
      world.outside,
      world.outsideVisitor,
      world.outsidePartner,
    )) {
      const result = failure(await t.gql(query, variables, { as: key.secret }));
      assert.deepEqual(
        [result.status, result.code, result.reason, result.data],
        [403, "FORBIDDEN", "EVENT_NOT_ALLOWED", null],
        name,
      );
    }
    // Nor organisation-wide types, which every event would see.
    const orgType = failure(
      await t.gql(
        'mutation { createRegistrationType(input: { name: "Org-wide", kind: VISITOR }) { id } }',
        {},
        { as: key.secret },
      ),
    );
    assert.deepEqual([orgType.status, orgType.reason], [403, "EVENT_NOT_ALLOWED"]);
    assert.deepEqual(await snapshot(), before);
  });
});

describe("a read-only key", () => {
  it("reads everything", async () => {
    const key = await createApiKey(t, { canWrite: false });
    const events = await t.ok<{ events: { id: string }[] }>("{ events { id } }", {}, { as: key.secret });
    assert.ok(events.events.some((event) => event.id === world.outside));
    await t.ok(
      "query($e: ID!) { visitors(eventId: $e) { edges { node { id } } } }",
      { e: world.inside },
      { as: key.secret },
    );
  });

  it("is refused every data mutation: 403 READ_ONLY_KEY, changing nothing", async () => {
    const readOnly = await createApiKey(t, { canWrite: false });
    const scopedReadOnly = await createApiKey(t, { canWrite: false, eventIds: [world.inside] });
    const before = await snapshot();
    for (const key of [readOnly, scopedReadOnly]) {
      for (const [name, query, variables] of dataMutations(
        world.inside,
        world.insideVisitor,
        world.insidePartner,
      )) {
        const result = failure(await t.gql(query, variables, { as: key.secret }));
        assert.deepEqual(
          [result.status, result.code, result.reason, result.data],
          [403, "FORBIDDEN", "READ_ONLY_KEY", null],
          name,
        );
      }
    }
    assert.deepEqual(await snapshot(), before);

    // The same mutations pass with a writable key: the refusals above are the key's, not the inputs'.
    const writable = await createApiKey(t, { canWrite: true });
    const visitor = await createVisitor(t, world.inside);
    const partner = await createPartner(t, world.inside);
    for (const [name, query, variables] of dataMutations(world.inside, visitor.id, partner.id)) {
      const result = await t.gql(query, variables, { as: writable.secret });
      assert.equal(result.status, 200, `${name}: ${JSON.stringify(result.errors)}`);
    }
  });
});
