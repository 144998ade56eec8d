import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEvent, createVisitor, VISITOR_FIELDS } from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

const LIST = `query($eventId: ID!, $first: Int, $after: String, $filter: VisitorFilter) {
  visitors(eventId: $eventId, first: $first, after: $after, filter: $filter) {
    edges { cursor node { id revision deleted registrationState } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type ListData = {
  visitors: {
    edges: { cursor: string; node: { id: string; revision: number; deleted: boolean } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

describe("visitors change feed", () => {
  it("returns updated and later records from fromRevision, in revision order", async () => {
    const event = await createEvent(t);
    const first = await createVisitor(t, event.id);
    const second = await createVisitor(t, event.id);
    const third = await createVisitor(t, event.id);
    assert.ok(first.revision < second.revision && second.revision < third.revision);

    const updated = await t.ok<{ updateVisitor: { revision: number } }>(
      `mutation($eventId: ID!, $id: ID!) { updateVisitor(eventId: $eventId, id: $id, input: { registrationState: CANCELLED }) { revision } }`,
      { eventId: event.id, id: first.id },
    );
    assert.ok(updated.updateVisitor.revision > third.revision);

    const page = await t.ok<ListData>(LIST, { eventId: event.id, filter: { fromRevision: third.revision } });
    assert.deepEqual(
      page.visitors.edges.map((edge) => edge.node.id),
      [third.id, first.id],
    );
  });

  it("keeps a deleted visitor as a tombstone with a new revision, hidden by showDeleted: false", async () => {
    const event = await createEvent(t);
    const visitor = await createVisitor(t, event.id);
    const deleted = await t.ok<{ deleteVisitor: { id: string; deleted: boolean; revision: number } }>(
      "mutation($eventId: ID!, $id: ID!) { deleteVisitor(eventId: $eventId, id: $id) { id deleted revision } }",
      { eventId: event.id, id: visitor.id },
    );
    assert.equal(deleted.deleteVisitor.deleted, true);
    assert.ok(deleted.deleteVisitor.revision > visitor.revision);

    const all = await t.ok<ListData>(LIST, { eventId: event.id });
    assert.deepEqual(
      all.visitors.edges.map((edge) => [edge.node.id, edge.node.deleted]),
      [[visitor.id, true]],
    );
    const live = await t.ok<ListData>(LIST, { eventId: event.id, filter: { showDeleted: false } });
    assert.equal(live.visitors.edges.length, 0);
  });

  it("pages with first/after until hasNextPage is false", async () => {
    const event = await createEvent(t);
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await createVisitor(t, event.id)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: ListData = await t.ok<ListData>(LIST, { eventId: event.id, first: 2, after: cursor });
      seen.push(...page.visitors.edges.map((edge) => edge.node.id));
      if (!page.visitors.pageInfo.hasNextPage) break;
      cursor = page.visitors.pageInfo.endCursor;
    }
    assert.deepEqual(seen, created);
  });

  it("refuses first over 100 naming the field", async () => {
    const event = await createEvent(t);
    const result = await t.gql(LIST, { eventId: event.id, first: 101 });
    assert.equal(result.status, 422);
    assert.equal(result.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    assert.deepEqual(result.errors?.[0]?.extensions?.errors, [
      { field: "first", message: "must be at most 100" },
    ]);
  });

  it("reads back every field it wrote", async () => {
    const event = await createEvent(t);
    const input = {
      registrationState: "PENDING_CONFIRMATION",
      reference: "crm-42",
      contact: {
        firstName: "Grace",
        lastName: "Hopper",
        email: "Grace@Example.test",
        company: "Navy",
        jobTitle: "Rear Admiral",
        phone: "+1 555 0100",
        reference: "c-1",
        address: { street: "1 Main St", postalCode: "12345", city: "Arlington", country: "US" },
      },
    };
    const created = await createVisitor(t, event.id, input);
    const read = await t.ok<{ visitor: Record<string, unknown> }>(
      `query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR_FIELDS} } }`,
      { eventId: event.id, id: created.id },
    );
    assert.deepEqual(read.visitor, created);
    assert.equal((read.visitor.contact as { email: string }).email, "grace@example.test");
  });

  it("merges a partial address on update: omitted address fields keep their value", async () => {
    const event = await createEvent(t);
    const created = await createVisitor(t, event.id, {
      contact: { email: "m@example.test", address: { street: "1 Main St", city: "Utrecht", country: "NL" } },
    });
    const updated = await t.ok<{
      updateVisitor: { contact: { email: string; address: Record<string, unknown> } };
    }>(
      `mutation($eventId: ID!, $id: ID!) {
        updateVisitor(eventId: $eventId, id: $id, input: { contact: { address: { city: "Amsterdam", street: null } } }) {
          contact { email address { street city country } }
        }
      }`,
      { eventId: event.id, id: created.id },
    );
    assert.deepEqual(updated.updateVisitor.contact, {
      email: "m@example.test",
      address: { street: null, city: "Amsterdam", country: "NL" },
    });
  });

  it("takes an explicit null on a defaulted field as the default", async () => {
    const event = await createEvent(t, undefined, { timezone: null });
    const read = await t.ok<{ event: { timezone: string } }>(
      "query($id: ID!) { event(id: $id) { timezone } }",
      {
        id: event.id,
      },
    );
    assert.equal(read.event.timezone, "UTC");
    const visitor = await createVisitor(t, event.id, { registrationState: null });
    assert.equal(visitor.registrationState, "INVITED");
  });
});
