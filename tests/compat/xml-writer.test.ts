import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { RestValue } from "@/compat/rest-model.js";
import { buildXml } from "@/compat/xml-render.js";
import { writeXml } from "@/compat/xml-writer.js";

// Text that exercises every rule: markup to escape, entity look-alikes, CR, characters XML 1.0
// cannot carry (C0 controls, U+FFFE/U+FFFF, lone surrogates), astral characters, whitespace.
const tricky = fc.constantFrom(
  "&",
  "&amp;",
  "&nbsp;",
  "&#x41;",
  "<",
  ">",
  "]]>",
  '"',
  "'",
  "\r",
  "\r\n",
  "\n",
  "\t",
  " ",
  "\u0000",
  "\u0007",
  "\u000b",
  "\u001f",
  "\u007f",
  "\u0085",
  "\ufffe",
  "\uffff",
  "\ud800",
  "\udc00",
  "\ud83d\ude00",
  "é",
  "\u2028",
);
const anyText = fc
  .array(
    fc.oneof(
      tricky,
      fc.string({ unit: "grapheme", maxLength: 4 }),
      fc.string({ unit: "binary", maxLength: 4 }),
    ),
    {
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(""));
const elementName = fc.constantFrom(
  "reference",
  "contact",
  "answers",
  "staff",
  "first-name",
  "answer-ids",
  "x",
);

const restValue: fc.Arbitrary<RestValue> = fc.letrec<{ value: RestValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    anyText,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(elementName, tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("the XML string writer", () => {
  it("writes byte for byte what xmlbuilder2 builds, for any REST value (property)", () => {
    fc.assert(
      fc.property(elementName, restValue, (root, value) => {
        assert.equal(writeXml(root, value), buildXml(root, value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("writes the documents of visitors and lists as xmlbuilder2 does (examples)", () => {
    const visitor: RestValue = {
      id: "abcdefghij123",
      "registration-state": "registered",
      contact: { "first-name": "Ada & <Co>", email: "ada@example.com", address: {} },
      answers: [
        { "question-id": "q1", "answer-ids": ["a1", "a2"] },
        { "question-id": "q2", text: "line\r\nnext" },
      ],
      revision: 42,
      deleted: false,
    };
    const documents: [string, RestValue][] = [
      ["visitor", visitor],
      ["visitors", [visitor, visitor]],
      ["visitors", []],
    ];
    for (const [root, value] of documents) {
      assert.equal(writeXml(root, value), buildXml(root, value));
    }
  });
});
