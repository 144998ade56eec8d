/**
 * Bulk creates check a well-formed item by hand instead of with zod; an item the hand-written check
 * refuses goes through the zod schema, which words the errors. The hand-written check must accept
 * nothing the schema refuses, and give the schema's value for what it accepts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createPartnerSchema, quickCreatePartner } from "@/src/services/partner.service.js";
import { createVisitorSchema, quickCreateVisitor } from "@/src/services/visitor.service.js";

// Texts near every rule: blank, padded, NUL, at and over the length limits, emails and URLs good and bad.
const text = fc.oneof(
  fc.constantFrom("", " ", "  a  ", "a\u0000b", "x".repeat(200), ` ${"x".repeat(200)} `, "x".repeat(201)),
  fc.constantFrom("ada@example.test", " Ada@Example.TEST ", "ada@", "a..b@example.test", "ada@example"),
  fc.constantFrom("https://example.test/a", "ftp://example.test", "http://", " http://x.test "),
  fc.constantFrom("x".repeat(2_000), "x".repeat(20_000), "x".repeat(20_001)),
  fc.string({ maxLength: 12 }),
);
const nullish = <T>(value: fc.Arbitrary<T>) => fc.oneof(value, fc.constant(null), fc.constant(undefined));
const odd = fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}));
const field = fc.oneof({ weight: 8, arbitrary: nullish(text) }, { weight: 1, arbitrary: odd });
const record = <K extends string>(keys: readonly K[]) =>
  fc
    .tuple(
      fc.record(Object.fromEntries(keys.map((key) => [key, field])) as Record<K, typeof field>, {
        requiredKeys: [],
      }),
      fc.option(fc.constantFrom("extra", "Email"), { nil: undefined }),
    )
    .map(([value, extra]) => (extra ? { ...value, [extra]: "x" } : value));
const address = record(["street", "street2", "postalCode", "city", "region", "country"]);
const contact = fc
  .tuple(
    record(["firstName", "lastName", "email", "company", "jobTitle", "phone", "reference"]),
    fc.option(fc.oneof(address, odd, fc.constant(null)), { nil: undefined }),
  )
  .map(([value, addressValue]) => (addressValue === undefined ? value : { ...value, address: addressValue }));
const answer = fc.record(
  {
    questionId: fc.oneof(fc.constantFrom("q1", ""), odd),
    answerIds: nullish(fc.oneof(fc.array(fc.constantFrom("a1", "a2")), fc.constant([1]), odd)),
    text: nullish(fc.oneof(text, odd)),
  },
  { requiredKeys: [] },
);

const visitor = fc.record(
  {
    registrationState: nullish(
      fc.oneof(fc.constantFrom("REGISTERED", "INVITED", "CANCELLED", "registered"), odd),
    ),
    registrationTypeId: nullish(fc.oneof(fc.constantFrom("t1"), odd)),
    reference: field,
    contact: fc.oneof(nullish(contact), odd),
    answers: nullish(fc.oneof(fc.array(fc.oneof(answer, odd), { maxLength: 3 }), odd)),
    unknown: fc.constant("stripped"),
  },
  { requiredKeys: [] },
);

const partner = fc.record(
  {
    name: field,
    registrationTypeId: nullish(fc.oneof(fc.constantFrom("t1"), odd)),
    reference: field,
    contact: fc.oneof(nullish(contact), odd),
    stand: field,
    hall: field,
    website: field,
    description: field,
    staff: nullish(fc.oneof(fc.array(fc.oneof(contact, odd, fc.constant(null)), { maxLength: 3 }), odd)),
  },
  { requiredKeys: [] },
);

/** zod keeps a key given as undefined; the services read undefined and absent alike. */
const withoutUndefined = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withoutUndefined)
    : value !== null && typeof value === "object"
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([, field]) => field !== undefined)
            .map(([key, field]) => [key, withoutUndefined(field)]),
        )
      : value;

function agrees(quick: unknown, parsed: { success: boolean; data?: unknown }): boolean {
  if (quick === undefined) return true;
  assert.ok(parsed.success, "accepted by hand but refused by the schema");
  assert.deepEqual(quick, withoutUndefined(parsed.data));
  return true;
}

describe("bulk validation by hand", () => {
  it("accepts no visitor the create schema refuses, with the schema's value", () => {
    fc.assert(
      fc.property(visitor, (input) =>
        agrees(quickCreateVisitor(input), createVisitorSchema.safeParse(input)),
      ),
      { numRuns: 3_000 },
    );
  });

  it("accepts no partner the create schema refuses, with the schema's value", () => {
    fc.assert(
      fc.property(partner, (input) =>
        agrees(quickCreatePartner(input), createPartnerSchema.safeParse(input)),
      ),
      { numRuns: 3_000 },
    );
  });

  it("accepts the common well-formed inputs by hand", () => {
    const input = {
      registrationState: "REGISTERED",
      registrationTypeId: "t1",
      reference: " V-1 ",
      contact: { firstName: "Ada", email: "Ada@Example.test", address: { city: "Utrecht" } },
      answers: [{ questionId: "q1", answerIds: ["a1"] }],
    };
    assert.deepEqual(quickCreateVisitor(input), createVisitorSchema.parse(input));
    const partnerInput = { name: " Expo BV ", website: "https://expo.test", staff: [{ firstName: "Staff" }] };
    assert.deepEqual(quickCreatePartner(partnerInput), createPartnerSchema.parse(partnerInput));
  });
});
