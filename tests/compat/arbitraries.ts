import fc from "fast-check";
import { REGISTRATION_STATES } from "@/schema/tables/visitor.table.js";
import type { QuestionRef } from "../support/factories.js";
import { must } from "../support/must.js";
import { withoutNulls } from "./support.js";

/** Generators shared by the REST round-trip properties (v1 and v2). */

// XML 1.0 cannot carry other code points at all, escaped or not: a valid visitor for XML has none.
export const isXmlText = (text: string) =>
  [...text].every((char) => {
    const code = must(char.codePointAt(0), "char.codePointAt(0)");
    return (
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000
    );
  });

/** Text that is hard for XML: markup, entity look-alikes, CR and CRLF, quotes, astral characters. */
export const trickyText = fc
  .array(
    fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 6 }),
      fc.constantFrom(
        "&",
        "&amp;",
        "&nbsp;",
        "&#38;",
        "<b>",
        "]]>",
        "\r",
        "\r\n",
        "\n",
        "\t",
        "'\"",
        "😀",
        "  ",
        "true",
        "007",
      ),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(""))
  .filter(isXmlText);

export const nullable = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null });

/** A visitor as GraphQL returns it, over the whole value space of its types (not the services' rules). */
export const anyVisitor = fc.record({
  id: fc.string({ minLength: 1, maxLength: 20 }).filter(isXmlText),
  eventId: fc.constant("event1234567a"),
  registrationState: fc.constantFrom(...REGISTRATION_STATES),
  registrationTypeId: nullable(trickyText),
  reference: nullable(trickyText),
  contact: fc.record({
    firstName: nullable(trickyText),
    lastName: nullable(trickyText),
    email: nullable(trickyText),
    company: nullable(trickyText),
    jobTitle: nullable(trickyText),
    phone: nullable(trickyText),
    reference: nullable(trickyText),
    address: nullable(
      fc.record({
        street: nullable(trickyText),
        street2: nullable(trickyText),
        postalCode: nullable(trickyText),
        city: nullable(trickyText),
        region: nullable(trickyText),
        country: nullable(trickyText),
      }),
    ),
  }),
  answers: fc.array(
    fc.record({
      questionId: trickyText,
      answerIds: nullable(fc.array(trickyText, { maxLength: 4 })),
      text: nullable(trickyText),
    }),
    { maxLength: 4 },
  ),
  createdAt: fc.constant("2027-01-01T00:00:00.000Z"),
  updatedAt: fc.constant("2027-01-02T00:00:00.000Z"),
  revision: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  deleted: fc.boolean(),
});

export type Visitor = { [key: string]: unknown; contact: Record<string, unknown> };

/** What a visitor says that can be written: the create input it round-trips to. */
export const writable = (visitor: Visitor) =>
  withoutNulls({
    registrationState: visitor.registrationState,
    registrationTypeId: visitor.registrationTypeId,
    reference: visitor.reference,
    contact: visitor.contact,
    answers: visitor.answers,
  });

/** A create input the services accept (trimmed texts up to 200 characters, a real email address), for an event with these questions and type. */
export function validVisitorInput(setup: { choice: QuestionRef; text: QuestionRef; type: string }) {
  const { choice, text, type } = setup;
  const field = nullable(trickyText.map((value) => value.trim().slice(0, 200)));
  return fc.record({
    registrationState: fc.constantFrom(...REGISTRATION_STATES),
    registrationTypeId: fc.constantFrom(null, type),
    reference: field,
    contact: fc.record({
      firstName: field,
      lastName: field,
      email: nullable(
        fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z0-9]{1,8})?$/).map((local) => `${local}@example.test`),
      ),
      company: field,
      jobTitle: field,
      phone: field,
      reference: field,
      address: nullable(fc.record({ street: field, postalCode: field, city: field, country: field })),
    }),
    answers: fc
      .tuple(
        fc.option(
          fc.subarray(
            choice.answers.map((answer) => answer.id),
            { minLength: 1 },
          ),
        ),
        fc.option(trickyText),
      )
      .map(([answerIds, answer]) => [
        ...(answerIds ? [{ questionId: choice.id, answerIds }] : []),
        ...(answer !== null ? [{ questionId: text.id, text: answer }] : []),
      ]),
  });
}
