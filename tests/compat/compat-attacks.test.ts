import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { createEvent } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { type RestResponse, rest } from "./support.js";

let t: TestApp;
let eventId: string;
before(async () => {
  t = await startApp();
  eventId = (await createEvent(t)).id;
});
after(() => t.close());

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE visitor [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<visitor><reference>&lol9;</reference></visitor>`;

const XXE = `<?xml version="1.0"?>
<!DOCTYPE visitor [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<visitor><reference>&xxe;</reference></visitor>`;

// One 64 KiB entity used 12,000 times: 750 MiB once expanded, from a body of about 100 KiB.
const QUADRATIC_BLOWUP = `<?xml version="1.0"?>
<!DOCTYPE visitor [<!ENTITY a "${"x".repeat(64 * 1024)}">]>
<visitor><reference>${"&a;".repeat(12_000)}</reference></visitor>`;

// Declarations hidden behind a comment and in lower case: still declarations.
const DECLARATION_AFTER_COMMENT = `<!-- harmless --><!doctype visitor [<!entity e "x">]><visitor/>`;

const deeplyNested = (levels: number) =>
  `<visitor>${"<contact>".repeat(levels)}${"</contact>".repeat(levels)}</visitor>`;

/** Sends one attack and checks the server is still healthy and still serving right after. */
async function attack(
  ctx: TestContext,
  name: string,
  format: "json" | "xml",
  body: string,
): Promise<RestResponse> {
  const started = performance.now();
  const response = await rest(t, "POST", `/${format}/visitors/${eventId}`, { body });
  ctx.diagnostic(
    `${name}: ${response.status} in ${(performance.now() - started).toFixed(1)} ms (${body.length} bytes)`,
  );
  assert.equal((await t.fetch("/healthz")).status, 200, `${name}: /healthz right after`);
  assert.equal(
    (await rest(t, "GET", `/${format}/visitors/${eventId}?limit=1`)).status,
    200,
    `${name}: still serving`,
  );
  return response;
}

const detail = (response: RestResponse) => /<detail>([\s\S]*?)<\/detail>/.exec(response.text)?.[1] ?? "";

describe("attack payloads are refused before any parser sees them, and the server stays healthy", () => {
  it("refuses XXE, billion laughs and quadratic blowup at the DOCTYPE, with 400", async (ctx) => {
    for (const [name, body] of [
      ["XXE", XXE],
      ["billion laughs", BILLION_LAUGHS],
      ["quadratic blowup", QUADRATIC_BLOWUP],
      ["declaration after a comment", DECLARATION_AFTER_COMMENT],
    ] as const) {
      const response = await attack(ctx, name, "xml", body);
      assert.equal(response.status, 400, `${name}: ${response.text}`);
      assert.match(detail(response), /DOCTYPE and other markup declarations/, name);
      assert.doesNotMatch(response.text, /root:|lollol|xxxx/, name);
    }
  });

  it("refuses an entity reference without a declaration (no external or HTML entities)", async (ctx) => {
    const response = await attack(
      ctx,
      "undeclared entity",
      "xml",
      "<visitor><reference>&xxe;</reference></visitor>",
    );
    assert.equal(response.status, 400);
    assert.match(detail(response), /undefined entity &amp;xxe;/);
  });

  it("refuses 10,000 levels of nesting (and 33) with 400, in XML and JSON", async (ctx) => {
    for (const levels of [10_000, 32]) {
      const response = await attack(ctx, `XML nesting ${levels + 1}`, "xml", deeplyNested(levels));
      assert.equal(response.status, 400, response.text);
      assert.match(detail(response), /nest deeper than 32 levels/);
    }
    const json = await attack(
      ctx,
      "JSON nesting 10,000",
      "json",
      `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
    );
    assert.equal(json.status, 400, json.text);
    assert.match(JSON.parse(json.text).detail, /nest deeper than 32 levels/);
    // 31 levels of elements inside <visitor> parse; the reader then names the field.
    const fine = await attack(ctx, "XML nesting 32", "xml", deeplyNested(31));
    assert.equal(fine.status, 422, fine.text);
  });

  it("refuses bodies that are costly to parse for their size: 20,001 elements, a tag of thousands of attributes", async (ctx) => {
    const many = await attack(ctx, "20,001 elements", "xml", `<visitor>${"<x/>".repeat(20_000)}</visitor>`);
    assert.equal(many.status, 400, many.text);
    assert.match(detail(many), /at most 20000 elements/);
    const attributes = await attack(ctx, "10,000 attributes", "xml", `<visitor ${'a="1" '.repeat(10_000)}/>`);
    assert.equal(attributes.status, 400, attributes.text);
    assert.match(detail(attributes), /at most 1024 characters/);
  });

  it("lists at most 100 failing fields, however many a body has", async (ctx) => {
    const keys = Object.fromEntries(Array.from({ length: 5_000 }, (_, index) => [`field${index}`, index]));
    const response = await attack(ctx, "5,000 unknown fields", "json", JSON.stringify(keys));
    assert.equal(response.status, 422);
    const errors = JSON.parse(response.text).errors as { field: string; error: string }[];
    assert.equal(errors.length, 101);
    assert.deepEqual(errors.at(-1), {
      field: "body",
      error: "more fields fail; only the first 100 are listed",
    });
  });

  it("refuses a 1.1 MiB body with 413, in XML and JSON", async (ctx) => {
    const filler = "a".repeat(1.1 * 1024 * 1024);
    const xml = await attack(
      ctx,
      "1.1 MiB XML",
      "xml",
      `<visitor><reference>${filler}</reference></visitor>`,
    );
    assert.equal(xml.status, 413);
    assert.match(xml.text, /<error-code>PAYLOAD_TOO_LARGE<\/error-code>/);
    const json = await attack(ctx, "1.1 MiB JSON", "json", JSON.stringify({ reference: filler }));
    assert.equal(json.status, 413);
    assert.equal(JSON.parse(json.text).errorCode, "PAYLOAD_TOO_LARGE");
  });

  it("lets no __proto__, constructor or prototype element or key pollute anything", async (ctx) => {
    const xmlBodies = [
      "<visitor><__proto__><polluted>yes</polluted></__proto__></visitor>",
      "<visitor><contact><constructor><prototype><polluted>yes</polluted></prototype></constructor></contact></visitor>",
      "<visitor><answers><answer><question-id>q</question-id><__proto__>yes</__proto__></answer></answers></visitor>",
    ];
    for (const body of xmlBodies) {
      const response = await attack(ctx, "__proto__ element", "xml", body);
      assert.equal(response.status, 400, response.text);
    }
    const jsonBodies = [
      '{"__proto__": {"polluted": "yes"}}',
      '{"contact": {"constructor": {"prototype": {"polluted": "yes"}}}}',
    ];
    for (const body of jsonBodies) {
      const response = await attack(ctx, "__proto__ key", "json", body);
      assert.equal(response.status, 422, response.text);
      assert.match(JSON.parse(response.text).errors[0].error, /is not a field of/);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
  });
});
