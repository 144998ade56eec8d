import { must } from "./support/must.js";
/**
 * A page of the change feed costs a fixed number of SQL statements, whatever its size: related records
 * (registration types) are batched per request, never loaded per row.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEvent, createRegistrationType } from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
let eventId: string;
before(async () => {
  // No background usage flush during a measurement: only the request's own statements are counted.
  t = await startApp({ STATS_FLUSH_MS: "60000" });
  eventId = (await createEvent(t)).id;
  const visitorTypes = [
    await createRegistrationType(t, eventId),
    await createRegistrationType(t, eventId),
    await createRegistrationType(t, null),
  ];
  const partnerTypes = [
    await createRegistrationType(t, eventId, "PARTNER"),
    await createRegistrationType(t, null, "PARTNER"),
  ];
  await t.ok(
    "mutation($e: ID!, $inputs: [CreateVisitorInput!]!) { createVisitors(eventId: $e, inputs: $inputs) { id } }",
    {
      e: eventId,
      inputs: Array.from({ length: 100 }, (_, n) => ({
        registrationState: "REGISTERED",
        // Every fourth visitor has no type, so null types are in the mix too.
        registrationTypeId: n % 4 === 3 ? null : visitorTypes[n % 3],
        contact: {
          firstName: `Visitor ${n}`,
          email: `visitor.${n}@example.test`,
          address: { city: "Utrecht" },
        },
      })),
    },
  );
  await t.ok(
    "mutation($e: ID!, $inputs: [CreatePartnerInput!]!) { createPartners(eventId: $e, inputs: $inputs) { id } }",
    {
      e: eventId,
      inputs: Array.from({ length: 100 }, (_, n) => ({
        name: `Partner ${n}`,
        registrationTypeId: partnerTypes[n % 2],
        contact: { email: `partner.${n}@example.test` },
        staff: [{ firstName: "Staff" }],
      })),
    },
  );
});
after(() => t.close());

const VISITORS = `query($e: ID!, $first: Int, $after: String) {
  visitors(eventId: $e, first: $first, after: $after) {
    edges { cursor node { id registrationState registrationTypeId registrationType { id name } contact { firstName email address { city } } answers { questionId } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PARTNERS = `query($e: ID!, $first: Int) {
  partners(eventId: $e, first: $first) {
    edges { node { id name registrationType { id name kind } contact { email } staff { firstName } } }
    pageInfo { hasNextPage }
  }
}`;

type Page = {
  edges: { cursor: string; node: { registrationType: { id: string } | null } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

/** Runs one request and counts the SQL statements it sent (authentication included). */
async function measure<T>(
  query: string,
  variables: Record<string, unknown>,
): Promise<{ statements: number; data: T }> {
  const before = t.app.database.stats.queries;
  const data = await t.ok<T>(query, variables);
  return { statements: t.app.database.stats.queries - before, data };
}

describe("query count", () => {
  it("counts statements at all (the meter works)", async () => {
    const { statements } = await measure(VISITORS, { e: eventId, first: 1 });
    assert.ok(statements > 0);
  });

  it("costs the same number of statements for visitors(first: 10) and visitors(first: 100)", async () => {
    const small = await measure<{ visitors: Page }>(VISITORS, { e: eventId, first: 10 });
    const large = await measure<{ visitors: Page }>(VISITORS, { e: eventId, first: 100 });
    assert.equal(small.data.visitors.edges.length, 10);
    assert.equal(large.data.visitors.edges.length, 100);
    const typed = large.data.visitors.edges.filter((edge) => edge.node.registrationType !== null);
    assert.equal(typed.length, 75, "the registration types were resolved");
    assert.equal(
      new Set(typed.map((edge) => must(edge.node.registrationType, "edge.node.registrationType").id)).size,
      3,
    );
    assert.equal(
      large.statements,
      small.statements,
      `10 rows: ${small.statements}, 100 rows: ${large.statements}`,
    );
    assert.ok(large.statements <= 6, `a page took ${large.statements} statements`);
  });

  it("costs the same for a later page reached with `after`", async () => {
    const first = await measure<{ visitors: Page }>(VISITORS, { e: eventId, first: 10 });
    const next = await measure<{ visitors: Page }>(VISITORS, {
      e: eventId,
      first: 50,
      after: first.data.visitors.pageInfo.endCursor,
    });
    assert.equal(next.data.visitors.edges.length, 50);
    assert.equal(next.statements, first.statements);
  });

  it("costs the same number of statements for partners(first: 10) and partners(first: 100)", async () => {
    const small = await measure<{ partners: Page }>(PARTNERS, { e: eventId, first: 10 });
    const large = await measure<{ partners: Page }>(PARTNERS, { e: eventId, first: 100 });
    assert.equal(small.data.partners.edges.length, 10);
    assert.equal(large.data.partners.edges.length, 100);
    assert.ok(large.data.partners.edges.every((edge) => edge.node.registrationType !== null));
    assert.equal(
      large.statements,
      small.statements,
      `10 rows: ${small.statements}, 100 rows: ${large.statements}`,
    );
  });

  it("costs the same for events with their types and questions, for 1 event and for 10", async () => {
    const EVENTS = "{ events { id registrationTypes { id } questions { id answers { id } } } }";
    const QUESTION = `mutation($e: ID!) { createQuestion(eventId: $e, input: { text: "Diet?", kind: SINGLE_CHOICE, answers: [{ text: "Vegan" }] }) { id } }`;
    await t.ok(QUESTION, { e: eventId });
    const one = await measure<{ events: { id: string }[] }>(EVENTS, {});
    assert.equal(one.data.events.length, 1);
    for (let n = 0; n < 9; n++) {
      const event = await createEvent(t);
      await createRegistrationType(t, event.id);
      await t.ok(QUESTION, { e: event.id });
    }
    const ten = await measure<{ events: { id: string; questions: unknown[] }[] }>(EVENTS, {});
    assert.equal(ten.data.events.length, 10);
    assert.ok(ten.data.events.every((event) => event.questions.length === 1));
    assert.equal(ten.statements, one.statements, `1 event: ${one.statements}, 10 events: ${ten.statements}`);
  });
});
