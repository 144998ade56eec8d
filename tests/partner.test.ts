/**
 * Records of an event: partners, and visitors (which share their storage rules: revisions, tombstones,
 * partial contact updates, filters, all-or-nothing bulk creation). The change feed's paging is specified
 * in visitor.test.ts.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createEvent,
  createRegistrationType,
  failure,
  PARTNER_FIELDS,
  VISITOR_FIELDS,
} from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type Contact = Record<string, unknown> & { email?: string | null };
type Row = { id: string; revision: number; deleted: boolean; contact: Contact } & Record<string, unknown>;

/** The GraphQL operations of one record kind; both kinds have the same shape. */
function operations(kind: "visitor" | "partner") {
  const Kind = kind === "visitor" ? "Visitor" : "Partner";
  const fields = kind === "visitor" ? VISITOR_FIELDS : PARTNER_FIELDS;
  return {
    kind,
    typeKind: (kind === "visitor" ? "VISITOR" : "PARTNER") as "VISITOR" | "PARTNER",
    /** The smallest valid create input. */
    minimal: (): Record<string, unknown> => (kind === "visitor" ? {} : { name: "Acme" }),
    create: `mutation($eventId: ID!, $input: Create${Kind}Input!) { create${Kind}(eventId: $eventId, input: $input) { ${fields} } }`,
    createMany: `mutation($eventId: ID!, $inputs: [Create${Kind}Input!]!) { create${Kind}s(eventId: $eventId, inputs: $inputs) { ${fields} } }`,
    update: `mutation($eventId: ID!, $id: ID!, $input: Update${Kind}Input!) { update${Kind}(eventId: $eventId, id: $id, input: $input) { ${fields} } }`,
    remove: `mutation($eventId: ID!, $id: ID!) { delete${Kind}(eventId: $eventId, id: $id) { ${fields} } }`,
    get: `query($eventId: ID!, $id: ID!) { ${kind}(eventId: $eventId, id: $id) { ${fields} } }`,
    list: `query($eventId: ID!, $filter: ${Kind}Filter) { ${kind}s(eventId: $eventId, filter: $filter) { edges { node { ${fields} } } } }`,
    createName: `create${Kind}`,
    createManyName: `create${Kind}s`,
    updateName: `update${Kind}`,
    removeName: `delete${Kind}`,
    listName: `${kind}s`,
  };
}

for (const ops of [operations("visitor"), operations("partner")]) {
  const create = async (eventId: string, input: Record<string, unknown> = {}): Promise<Row> =>
    (await t.ok<Record<string, Row>>(ops.create, { eventId, input: { ...ops.minimal(), ...input } }))[
      ops.createName
    ];
  const update = async (eventId: string, id: string, input: Record<string, unknown>): Promise<Row> =>
    (await t.ok<Record<string, Row>>(ops.update, { eventId, id, input }))[ops.updateName];
  const remove = async (eventId: string, id: string): Promise<Row> =>
    (await t.ok<Record<string, Row>>(ops.remove, { eventId, id }))[ops.removeName];
  const get = async (eventId: string, id: string): Promise<Row> =>
    (await t.ok<Record<string, Row>>(ops.get, { eventId, id }))[ops.kind];
  const list = async (eventId: string, filter: Record<string, unknown> = {}): Promise<Row[]> =>
    (await t.ok<Record<string, { edges: { node: Row }[] }>>(ops.list, { eventId, filter }))[
      ops.listName
    ].edges.map((edge) => edge.node);
  const listIds = async (eventId: string, filter: Record<string, unknown> = {}) =>
    (await list(eventId, filter)).map((row) => row.id);

  describe(`${ops.kind}s`, () => {
    it("creates, reads, updates and soft-deletes a record, each write with a new revision", async () => {
      const event = await createEvent(t);
      const created = await create(event.id, { reference: "ext-1" });
      assert.match(created.id, /^[a-z0-9]{20}$/);
      assert.equal(created.eventId, event.id);
      assert.equal(created.deleted, false);
      assert.equal(created.createdAt, created.updatedAt);
      assert.deepEqual(await get(event.id, created.id), created);
      assert.deepEqual(await listIds(event.id), [created.id]);

      const updated = await update(event.id, created.id, { reference: "ext-2" });
      assert.equal(updated.reference, "ext-2");
      assert.ok(updated.revision > created.revision);
      assert.equal(updated.createdAt, created.createdAt);
      assert.deepEqual(await get(event.id, created.id), updated);

      const deleted = await remove(event.id, created.id);
      assert.equal(deleted.deleted, true);
      assert.ok(deleted.revision > updated.revision);
      assert.equal(deleted.reference, "ext-2", "a tombstone keeps its data");
    });

    it("returns a tombstone with deleted: true when asked for a deleted record", async () => {
      const event = await createEvent(t);
      const created = await create(event.id);
      const deleted = await remove(event.id, created.id);
      const read = await get(event.id, created.id);
      assert.equal(read.deleted, true);
      assert.deepEqual(read, deleted);
    });

    it("answers NOT_FOUND to updating or deleting a tombstone, and changes nothing", async () => {
      const event = await createEvent(t);
      const created = await create(event.id);
      const tombstone = await remove(event.id, created.id);
      const updated = await t.gql(ops.update, {
        eventId: event.id,
        id: created.id,
        input: { reference: "back" },
      });
      assert.deepEqual([updated.status, failure(updated).code], [404, "NOT_FOUND"]);
      const deleted = await t.gql(ops.remove, { eventId: event.id, id: created.id });
      assert.deepEqual([deleted.status, failure(deleted).code], [404, "NOT_FOUND"]);
      assert.deepEqual(await get(event.id, created.id), tombstone);
      assert.deepEqual(await listIds(event.id, { fromRevision: tombstone.revision + 1 }), []);
    });

    it("answers NOT_FOUND for an unknown id, and for a record asked for under another event", async () => {
      const event = await createEvent(t);
      const other = await createEvent(t);
      const record = await create(other.id);
      for (const id of ["nosuchrecord", record.id]) {
        for (const [query, variables] of [
          [ops.get, { eventId: event.id, id }],
          [ops.update, { eventId: event.id, id, input: { reference: "x" } }],
          [ops.remove, { eventId: event.id, id }],
        ] as const) {
          const result = await t.gql(query, variables);
          assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"], `${id}: ${query}`);
        }
      }
      assert.deepEqual(await get(other.id, record.id), record);
    });

    it("answers NOT_FOUND for the records of an unknown event", async () => {
      for (const [query, variables] of [
        [ops.list, { eventId: "unknownevent1" }],
        [ops.create, { eventId: "unknownevent1", input: ops.minimal() }],
        [ops.createMany, { eventId: "unknownevent1", inputs: [ops.minimal()] }],
      ] as const) {
        const result = await t.gql(query, variables);
        assert.deepEqual([result.status, failure(result).code], [404, "NOT_FOUND"], query);
      }
    });

    it("merges a partial contact on update: omitted fields are kept, null clears one", async () => {
      const event = await createEvent(t);
      const created = await create(event.id, {
        contact: {
          firstName: "Ada",
          lastName: "Lovelace",
          email: "ada@example.test",
          company: "Analytical Engines",
          phone: "+44 1",
          address: { city: "London", country: "GB" },
        },
      });
      const updated = await update(event.id, created.id, {
        contact: { lastName: "King", phone: null, email: "Countess@Example.TEST" },
      });
      assert.deepEqual(updated.contact, {
        ...created.contact,
        lastName: "King",
        phone: null,
        email: "countess@example.test",
      });
      assert.deepEqual((await get(event.id, created.id)).contact, updated.contact);

      const untouched = await update(event.id, created.id, { reference: "only this" });
      assert.deepEqual(untouched.contact, updated.contact);

      const cleared = await update(event.id, created.id, { contact: null });
      assert.deepEqual(
        Object.values(cleared.contact).every((value) => value === null),
        true,
      );
    });

    it("filters by registrationTypeIds, contactReference and contactEmail (any case)", async () => {
      const event = await createEvent(t);
      const typeA = await createRegistrationType(t, event.id, ops.typeKind);
      const typeB = await createRegistrationType(t, null, ops.typeKind);
      const a = await create(event.id, {
        registrationTypeId: typeA,
        contact: { reference: "crm-a", email: "a@example.test" },
      });
      const b = await create(event.id, {
        registrationTypeId: typeB,
        contact: { reference: "crm-b", email: "b@example.test" },
      });
      const none = await create(event.id, { contact: { reference: "crm-c" } });

      assert.deepEqual(await listIds(event.id, { registrationTypeIds: [typeA] }), [a.id]);
      assert.deepEqual(await listIds(event.id, { registrationTypeIds: [typeA, typeB] }), [a.id, b.id]);
      assert.deepEqual(await listIds(event.id, { registrationTypeIds: [] }), [a.id, b.id, none.id]);
      assert.deepEqual(await listIds(event.id, { contactReference: "crm-b" }), [b.id]);
      assert.deepEqual(await listIds(event.id, { contactReference: "CRM-B" }), []);
      assert.deepEqual(await listIds(event.id, { contactEmail: " A@Example.test " }), [a.id]);
      assert.deepEqual(await listIds(event.id, { contactEmail: "nobody@example.test" }), []);
      assert.deepEqual(
        await listIds(event.id, { contactReference: "crm-a", registrationTypeIds: [typeB] }),
        [],
      );
    });

    it("lists tombstones by default and hides them with showDeleted: false", async () => {
      const event = await createEvent(t);
      const kept = await create(event.id);
      const gone = await create(event.id);
      await remove(event.id, gone.id);
      const all = await list(event.id);
      assert.deepEqual(
        all.map((row) => [row.id, row.deleted]),
        [
          [kept.id, false],
          [gone.id, true],
        ],
      );
      assert.deepEqual(await listIds(event.id, { showDeleted: true }), [kept.id, gone.id]);
      assert.deepEqual(await listIds(event.id, { showDeleted: false }), [kept.id]);
    });

    describe("bulk creation", () => {
      it("creates every input with consecutive revisions, in input order", async () => {
        const event = await createEvent(t);
        const inputs = [1, 2, 3, 4, 5].map((n) => ({ ...ops.minimal(), reference: `bulk-${n}` }));
        const data = await t.ok<Record<string, Row[]>>(ops.createMany, { eventId: event.id, inputs });
        const rows = data[ops.createManyName];
        assert.deepEqual(
          rows.map((row) => row.reference),
          inputs.map((input) => input.reference),
        );
        const first = rows[0].revision;
        assert.deepEqual(
          rows.map((row) => row.revision),
          [first, first + 1, first + 2, first + 3, first + 4],
        );
        assert.deepEqual(
          await listIds(event.id),
          rows.map((row) => row.id),
        );
      });

      it("writes nothing when one input among many is bad, naming every error as inputs.<index>.<field>", async () => {
        const event = await createEvent(t);
        const foreignType = await createRegistrationType(t, (await createEvent(t)).id, ops.typeKind);
        const inputs: Record<string, unknown>[] = Array.from({ length: 20 }, (_, n) => ({
          ...ops.minimal(),
          reference: `ok-${n}`,
        }));
        inputs[3] = { ...inputs[3], contact: { email: "not-an-email" } };
        inputs[11] = { ...inputs[11], registrationTypeId: foreignType };
        inputs[17] = {
          ...inputs[17],
          reference: "r".repeat(201),
          contact: { address: { city: "c".repeat(201) } },
        };
        const result = await t.gql(ops.createMany, { eventId: event.id, inputs });
        assert.equal(result.status, 422);
        assert.equal(failure(result).code, "BAD_USER_INPUT");
        assert.deepEqual(failure(result).fields, [
          "inputs.11.registrationTypeId",
          "inputs.17.contact.address.city",
          "inputs.17.reference",
          "inputs.3.contact.email",
        ]);
        assert.deepEqual(await listIds(event.id), []);
      });

      it("refuses an empty list, naming inputs", async () => {
        const event = await createEvent(t);
        const result = await t.gql(ops.createMany, { eventId: event.id, inputs: [] });
        assert.equal(result.status, 422);
        assert.deepEqual(failure(result).fields, ["inputs"]);
      });
    });
  });
}

describe("visitor specifics", () => {
  const ops = operations("visitor");

  it("defaults the registration state to INVITED", async () => {
    const event = await createEvent(t);
    const data = await t.ok<{ createVisitor: Row }>(ops.create, { eventId: event.id, input: {} });
    assert.equal(data.createVisitor.registrationState, "INVITED");
  });

  it("filters by registrationStates", async () => {
    const event = await createEvent(t);
    const states = ["INVITED", "REGISTERED", "CANCELLED", "REGISTERED"];
    const data = await t.ok<{ createVisitors: Row[] }>(ops.createMany, {
      eventId: event.id,
      inputs: states.map((registrationState) => ({ registrationState })),
    });
    const ids = data.createVisitors.map((row) => row.id);
    const filtered = async (registrationStates: string[]) =>
      (
        await t.ok<{ visitors: { edges: { node: { id: string } }[] } }>(ops.list, {
          eventId: event.id,
          filter: { registrationStates },
        })
      ).visitors.edges.map((edge) => edge.node.id);
    assert.deepEqual(await filtered(["REGISTERED"]), [ids[1], ids[3]]);
    assert.deepEqual(await filtered(["INVITED", "CANCELLED"]), [ids[0], ids[2]]);
    assert.deepEqual(await filtered(["HOLD"]), []);
    assert.deepEqual(await filtered([]), ids);
  });

  it("changes only the registration state when only that is given", async () => {
    const event = await createEvent(t);
    const created = (
      await t.ok<{ createVisitor: Row }>(ops.create, {
        eventId: event.id,
        input: { reference: "r-1", contact: { firstName: "Kept" } },
      })
    ).createVisitor;
    const updated = (
      await t.ok<{ updateVisitor: Row }>(ops.update, {
        eventId: event.id,
        id: created.id,
        input: { registrationState: "REGISTERED" },
      })
    ).updateVisitor;
    assert.deepEqual(
      { ...updated, revision: created.revision, updatedAt: created.updatedAt },
      { ...created, registrationState: "REGISTERED" },
    );
  });
});

describe("partner specifics", () => {
  const ops = operations("partner");

  it("stores every partner field, staff included", async () => {
    const event = await createEvent(t);
    const input = {
      name: "Acme Robotics",
      reference: "p-1",
      stand: "B12",
      hall: "3",
      website: "https://acme.example",
      description: "Robots",
      contact: { firstName: "Wile", email: "Wile@Acme.example" },
      staff: [{ firstName: "Road", lastName: "Runner", email: "RR@acme.example" }, { firstName: "Second" }],
    };
    const created = (await t.ok<{ createPartner: Row }>(ops.create, { eventId: event.id, input }))
      .createPartner;
    assert.deepEqual(
      {
        name: created.name,
        reference: created.reference,
        stand: created.stand,
        hall: created.hall,
        website: created.website,
        description: created.description,
      },
      {
        name: "Acme Robotics",
        reference: "p-1",
        stand: "B12",
        hall: "3",
        website: "https://acme.example",
        description: "Robots",
      },
    );
    assert.equal(created.contact.email, "wile@acme.example");
    const staff = created.staff as Contact[];
    assert.deepEqual(
      staff.map((member) => [member.firstName, member.email]),
      [
        ["Road", "rr@acme.example"],
        ["Second", null],
      ],
    );
  });

  it("keeps staff when an update leaves it out, and replaces all staff when given", async () => {
    const event = await createEvent(t);
    const created = (
      await t.ok<{ createPartner: Row }>(ops.create, {
        eventId: event.id,
        input: { name: "Acme", staff: [{ firstName: "One" }, { firstName: "Two" }] },
      })
    ).createPartner;
    const renamed = (
      await t.ok<{ updatePartner: Row }>(ops.update, {
        eventId: event.id,
        id: created.id,
        input: { name: "Acme 2" },
      })
    ).updatePartner;
    assert.equal(renamed.name, "Acme 2");
    assert.deepEqual(renamed.staff, created.staff);
    const replaced = (
      await t.ok<{ updatePartner: Row }>(ops.update, {
        eventId: event.id,
        id: created.id,
        input: { staff: [{ firstName: "Three" }] },
      })
    ).updatePartner;
    assert.deepEqual(
      (replaced.staff as Contact[]).map((member) => member.firstName),
      ["Three"],
    );
  });

  it("requires a name and an http(s) website, naming both", async () => {
    const event = await createEvent(t);
    const result = await t.gql(ops.create, {
      eventId: event.id,
      input: { name: "  ", website: "ftp://files.example" },
    });
    assert.equal(result.status, 422);
    assert.deepEqual(failure(result).fields, ["name", "website"]);
    const partners = await t.ok<{ partners: { edges: unknown[] } }>(ops.list, { eventId: event.id });
    assert.deepEqual(partners.partners.edges, []);
  });
});
