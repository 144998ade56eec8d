import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { validateXML } from "xmllint-wasm";
import { createEvent, createRegistrationType } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { assertValidXml, rest, restOk } from "./support.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

/** Golden files fix the exact output shape; `UPDATE_GOLDEN=1` rewrites them after an intended change. */
function assertGolden(name: string, actual: string): void {
  const url = new URL(`./golden/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(url, actual);
  assert.equal(actual, readFileSync(url, "utf8"), `golden/${name}`);
}

/** Replaces what differs between runs (ids, timestamps, revisions) with named placeholders. */
function normalise(xml: string, ids: Record<string, string>): string {
  let text = xml;
  for (const [placeholder, id] of Object.entries(ids)) text = text.replaceAll(id, placeholder);
  return text
    .replace(/<(created-at|updated-at)>[^<]+<\/\1>/g, "<$1>TIMESTAMP</$1>")
    .replace(/<revision>\d+<\/revision>/g, "<revision>REVISION</revision>");
}

/** A question with fixed text (the shared factory makes its text unique). */
async function question(eventId: string, text: string, kind: string, answers: string[]) {
  const data = await t.ok<{ createQuestion: { id: string; answers: { id: string }[] } }>(
    "mutation($eventId: ID!, $input: CreateQuestionInput!) { createQuestion(eventId: $eventId, input: $input) { id answers { id } } }",
    { eventId, input: { text, kind, answers: answers.map((answer) => ({ text: answer })) } },
  );
  return data.createQuestion;
}

/** Records with fixed content in a fresh event, and every id that the documents will show. */
async function fixture() {
  const event = await createEvent(t, undefined, {
    name: "Golden Expo",
    description: "Fixed & <escaped>",
    reference: "EXPO-1",
    contactEmail: "expo@example.test",
  });
  const choice = await question(event.id, "Attending the dinner?", "SINGLE_CHOICE", ["Yes", "No"]);
  const text = await question(event.id, "Anything else?", "TEXT", []);
  const visitorType = await createRegistrationType(t, event.id, "VISITOR");
  const partnerType = await createRegistrationType(t, event.id, "PARTNER");
  const visitorBody = `<visitor>
    <registration-state>pending-confirmation</registration-state>
    <registration-type-id>${visitorType}</registration-type-id>
    <reference>crm-1</reference>
    <contact><first-name>Grace</first-name><last-name>Hopper</last-name><email>grace@example.test</email>
      <company>Navy &amp; Co</company><address><city>Arlington</city><country>US</country></address></contact>
    <answers>
      <answer><question-id>${choice.id}</question-id><answer-ids><answer-id>${choice.answers[0].id}</answer-id></answer-ids></answer>
      <answer><question-id>${text.id}</question-id><text>Line one
line two &lt;3</text></answer>
    </answers>
  </visitor>`;
  const visitor = await restOk(t, "POST", `/xml/visitors/${event.id}`, 201, { body: visitorBody });
  const visitorId = must(/<id>([^<]+)<\/id>/.exec(visitor.text), "the visitor's <id>")[1];
  const second = await restOk(t, "POST", `/xml/visitors/${event.id}`, 201, {
    body: "<visitor><contact><first-name>Ada</first-name></contact></visitor>",
  });
  const secondId = must(/<id>([^<]+)<\/id>/.exec(second.text), "the second record's <id>")[1];
  await restOk(t, "DELETE", `/xml/visitors/${event.id}/${secondId}`, 204);
  const partner = await restOk(t, "POST", `/xml/partners/${event.id}`, 201, {
    body: `<partner><name>Babbage Ltd</name><registration-type-id>${partnerType}</registration-type-id>
      <stand>B12</stand><website>https://babbage.example.test/</website><contact/>
      <staff><member><first-name>Charles</first-name></member><member><last-name>Lovelace</last-name><phone>+44</phone></member></staff></partner>`,
  });
  const partnerId = must(/<id>([^<]+)<\/id>/.exec(partner.text), "the partner's <id>")[1];
  const ids = {
    VISITOR_1: visitorId,
    VISITOR_2: secondId,
    PARTNER_1: partnerId,
    CHOICE_QUESTION: choice.id,
    ANSWER_YES: choice.answers[0].id,
    ANSWER_NO: choice.answers[1].id,
    TEXT_QUESTION: text.id,
    VISITOR_TYPE: visitorType,
    PARTNER_TYPE: partnerType,
    EVENT: event.id,
  };
  return { event, ids, visitorId, partnerId };
}

describe("XML documents", () => {
  it("match the golden files exactly (ids, timestamps and revisions as placeholders)", async () => {
    const { event, ids, visitorId, partnerId } = await fixture();
    const documents: [string, string][] = [
      ["visitor.xml", `/xml/visitors/${event.id}/${visitorId}`],
      ["visitors.xml", `/xml/visitors/${event.id}`],
      ["partner.xml", `/xml/partners/${event.id}/${partnerId}`],
      ["event.xml", `/xml/events/${event.id}`],
    ];
    for (const [name, path] of documents) {
      assertGolden(name, normalise((await restOk(t, "GET", path, 200)).text, ids));
    }
    const invalid = await rest(t, "PUT", `/xml/visitors/${event.id}/${visitorId}`, {
      body: "<visitor><registration-type-id>nosuchtype</registration-type-id><contact><email>nope</email></contact></visitor>",
    });
    assert.equal(invalid.status, 422);
    assertGolden("error-422.xml", invalid.text);
  });

  it("validate against the XML Schemas in schema/, responses of every kind", async () => {
    const { event, visitorId, partnerId } = await fixture();
    const documents: [string, string][] = [
      ["visitor.xsd", `/xml/visitors/${event.id}/${visitorId}`],
      ["visitor.xsd", `/xml/visitors/${event.id}`],
      ["visitor.xsd", `/xml/visitors/${event.id}?showDeleted=false&limit=1`],
      ["partner.xsd", `/xml/partners/${event.id}/${partnerId}`],
      ["partner.xsd", `/xml/partners/${event.id}`],
    ];
    for (const [schema, path] of documents)
      await assertValidXml((await restOk(t, "GET", path, 200)).text, schema);
    const created = await restOk(t, "POST", `/xml/visitors/${event.id}`, 201, { body: "<visitor/>" });
    await assertValidXml(created.text, "visitor.xsd");
    const updated = await restOk(t, "PUT", `/xml/partners/${event.id}/${partnerId}`, 200, {
      body: "<partner><hall>7</hall></partner>",
    });
    await assertValidXml(updated.text, "partner.xsd");
    for (const [method, path, body] of [
      ["GET", "/xml/visitors/nosuchevent00", undefined],
      ["POST", `/xml/partners/${event.id}`, "<partner><website>ftp://x</website></partner>"],
      ["POST", `/xml/visitors/${event.id}`, "<!DOCTYPE visitor><visitor/>"],
    ] as const) {
      await assertValidXml((await rest(t, method, path, { body })).text, "error.xsd");
    }
  });

  it("are checked by schemas that have teeth: a wrong enum value or a missing field is invalid", async () => {
    const { event, visitorId } = await fixture();
    const good = (await restOk(t, "GET", `/xml/visitors/${event.id}/${visitorId}`, 200)).text;
    const schema = {
      fileName: "visitor.xsd",
      contents: readFileSync(new URL("../../schema/visitor.xsd", import.meta.url), "utf8"),
    };
    const preload = {
      fileName: "contact.xsd",
      contents: readFileSync(new URL("../../schema/contact.xsd", import.meta.url), "utf8"),
    };
    for (const broken of [
      good.replace("pending-confirmation", "PENDING_CONFIRMATION"),
      good.replace(/<id>[^<]+<\/id>/, ""),
      good.replace(/<revision>\d+<\/revision>/, "<revision>-1</revision>"),
      good.replace("<answers>", "<answers><visitor/>"),
    ]) {
      const result = await validateXML({
        xml: { fileName: "broken.xml", contents: broken },
        schema,
        preload,
      });
      assert.equal(result.valid, false, broken);
    }
  });
});
