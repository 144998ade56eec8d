import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createEvent,
  createQuestion,
  createVisitor,
  failure,
  type QuestionRef,
  userWithRoles,
} from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type QuestionData = {
  id: string;
  eventId: string;
  text: string;
  kind: string;
  required: boolean;
  reference: string | null;
  answers: { id: string; text: string; reference: string | null }[];
};
type Answer = { questionId: string; answerIds?: string[] | null; text?: string | null };

const QUESTION_FIELDS = "id eventId text kind required reference answers { id text reference }";
const CREATE = `mutation($eventId: ID!, $input: CreateQuestionInput!) { createQuestion(eventId: $eventId, input: $input) { ${QUESTION_FIELDS} } }`;
const LIST = `query($eventId: ID!) { questions(eventId: $eventId) { ${QUESTION_FIELDS} } }`;
const CREATE_VISITOR = `mutation($eventId: ID!, $input: CreateVisitorInput!) {
  createVisitor(eventId: $eventId, input: $input) { id revision answers { questionId answerIds text } }
}`;
const CREATE_VISITORS = `mutation($eventId: ID!, $inputs: [CreateVisitorInput!]!) {
  createVisitors(eventId: $eventId, inputs: $inputs) { id }
}`;
const UPDATE_VISITOR = `mutation($eventId: ID!, $id: ID!, $input: UpdateVisitorInput!) {
  updateVisitor(eventId: $eventId, id: $id, input: $input) { id revision answers { questionId answerIds text } }
}`;
const GET_VISITOR = `query($eventId: ID!, $id: ID!) {
  visitor(eventId: $eventId, id: $id) { revision answers { questionId answerIds text } }
}`;
const VISITOR_COUNT = "query($eventId: ID!) { visitors(eventId: $eventId) { edges { cursor } } }";

async function listQuestions(eventId: string): Promise<QuestionData[]> {
  return (await t.ok<{ questions: QuestionData[] }>(LIST, { eventId })).questions;
}

async function visitorCount(eventId: string): Promise<number> {
  return (await t.ok<{ visitors: { edges: unknown[] } }>(VISITOR_COUNT, { eventId })).visitors.edges.length;
}

/** An event with one question of each kind. */
async function eventWithQuestions() {
  const event = await createEvent(t);
  const single = await createQuestion(t, event.id, "SINGLE_CHOICE", ["Yes", "No"]);
  const multiple = await createQuestion(t, event.id, "MULTIPLE_CHOICE", ["Red", "Green", "Blue"]);
  const text = await createQuestion(t, event.id, "TEXT");
  return { event, single, multiple, text };
}

const ids = (question: QuestionRef) => question.answers.map((answer) => answer.id);

describe("questions", () => {
  it("creates single choice, multiple choice and text questions and lists them in creation order", async () => {
    const event = await createEvent(t);
    const single = await t.ok<{ createQuestion: QuestionData }>(CREATE, {
      eventId: event.id,
      input: {
        text: "Will you attend the dinner?",
        kind: "SINGLE_CHOICE",
        required: true,
        reference: "q-dinner",
        answers: [{ text: "Yes", reference: "y" }, { text: "No" }],
      },
    });
    const multiple = await t.ok<{ createQuestion: QuestionData }>(CREATE, {
      eventId: event.id,
      input: { text: "Interests", kind: "MULTIPLE_CHOICE", answers: [{ text: "AI" }, { text: "Robotics" }] },
    });
    const text = await t.ok<{ createQuestion: QuestionData }>(CREATE, {
      eventId: event.id,
      input: { text: "Dietary wishes", kind: "TEXT" },
    });

    assert.deepEqual(
      { ...single.createQuestion, id: undefined, answers: single.createQuestion.answers.map((a) => a.text) },
      {
        id: undefined,
        eventId: event.id,
        text: "Will you attend the dinner?",
        kind: "SINGLE_CHOICE",
        required: true,
        reference: "q-dinner",
        answers: ["Yes", "No"],
      },
    );
    assert.equal(single.createQuestion.answers[0].reference, "y");
    assert.equal(multiple.createQuestion.required, false);
    assert.deepEqual(text.createQuestion.answers, []);

    const listed = await listQuestions(event.id);
    assert.deepEqual(listed, [single.createQuestion, multiple.createQuestion, text.createQuestion]);
  });

  it("refuses a TEXT question with answers and a choice question without, naming `answers`", async () => {
    const event = await createEvent(t);
    const text = await t.gql(CREATE, {
      eventId: event.id,
      input: { text: "Name?", kind: "TEXT", answers: [{ text: "A" }] },
    });
    assert.equal(text.status, 422);
    assert.deepEqual(failure(text).fields, ["answers"]);
    const choice = await t.gql(CREATE, { eventId: event.id, input: { text: "Pick", kind: "SINGLE_CHOICE" } });
    assert.deepEqual(failure(choice).fields, ["answers"]);
    const empty = await t.gql(CREATE, {
      eventId: event.id,
      input: { text: "", kind: "MULTIPLE_CHOICE", answers: [{ text: "ok" }, { text: "  " }] },
    });
    assert.deepEqual(failure(empty).fields, ["answers.1.text", "text"]);
    assert.deepEqual(await listQuestions(event.id), []);
  });

  it("answers NOT_FOUND for the questions of an unknown event", async () => {
    const list = await t.gql(LIST, { eventId: "unknownevent1" });
    assert.deepEqual([list.status, failure(list).code], [404, "NOT_FOUND"]);
    const create = await t.gql(CREATE, { eventId: "unknownevent1", input: { text: "Q", kind: "TEXT" } });
    assert.deepEqual([create.status, failure(create).code], [404, "NOT_FOUND"]);
  });

  it("refuses questions to a USER_ACCOUNT_MANAGEMENT-only user", async () => {
    const event = await createEvent(t);
    const token = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
    const list = await t.gql(LIST, { eventId: event.id }, { as: token });
    assert.deepEqual([list.status, failure(list).reason], [403, "MISSING_ROLE"]);
    const create = await t.gql(
      CREATE,
      { eventId: event.id, input: { text: "Q", kind: "TEXT" } },
      { as: token },
    );
    assert.deepEqual([create.status, failure(create).reason], [403, "MISSING_ROLE"]);
  });

  describe("visitor answers", () => {
    it("stores valid answers of every kind and reads them back", async () => {
      const { event, single, multiple, text } = await eventWithQuestions();
      const answers: Answer[] = [
        { questionId: single.id, answerIds: [ids(single)[1]] },
        { questionId: multiple.id, answerIds: [ids(multiple)[0], ids(multiple)[2]] },
        { questionId: text.id, text: "Vegetarian" },
      ];
      const visitor = await createVisitor(t, event.id, { answers });
      assert.deepEqual(visitor.answers, [
        { questionId: single.id, answerIds: [ids(single)[1]], text: null },
        { questionId: multiple.id, answerIds: [ids(multiple)[0], ids(multiple)[2]], text: null },
        { questionId: text.id, answerIds: null, text: "Vegetarian" },
      ]);
    });

    it("collapses a repeated answer id", async () => {
      const { event, multiple } = await eventWithQuestions();
      const [red] = ids(multiple);
      const visitor = await createVisitor(t, event.id, {
        answers: [{ questionId: multiple.id, answerIds: [red, red] }],
      });
      assert.deepEqual(visitor.answers, [{ questionId: multiple.id, answerIds: [red], text: null }]);
    });

    it("refuses an unknown question, naming answers.<i>.questionId", async () => {
      const { event } = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { answers: [{ questionId: "nosuchquestion", text: "x" }] },
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["answers.0.questionId"]);
    });

    it("refuses a question of another event, naming answers.<i>.questionId", async () => {
      const { event } = await eventWithQuestions();
      const other = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { answers: [{ questionId: other.text.id, text: "x" }] },
      });
      assert.deepEqual(failure(result).fields, ["answers.0.questionId"]);
    });

    it("refuses an answer id of another question, naming answers.<i>.answerIds.<j>", async () => {
      const { event, single, multiple } = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: {
          answers: [
            { questionId: single.id, answerIds: [ids(single)[0]] },
            { questionId: multiple.id, answerIds: [ids(single)[1], ids(multiple)[0]] },
          ],
        },
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["answers.1.answerIds.0"]);
    });

    it("names the input position of a bad answer id, also after a repeated one", async () => {
      const { event, single, multiple } = await eventWithQuestions();
      const [red] = ids(multiple);
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { answers: [{ questionId: multiple.id, answerIds: [red, red, ids(single)[0]] }] },
      });
      assert.deepEqual(failure(result).fields, ["answers.0.answerIds.2"]);
    });

    it("refuses two answers to a SINGLE_CHOICE question, naming answers.<i>.answerIds", async () => {
      const { event, single } = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { answers: [{ questionId: single.id, answerIds: ids(single) }] },
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["answers.0.answerIds"]);
    });

    it("refuses text on a choice question, naming answers.<i>.text", async () => {
      const { event, text, multiple } = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: {
          answers: [
            { questionId: text.id, text: "fine" },
            { questionId: multiple.id, text: "Red please" },
          ],
        },
      });
      assert.deepEqual(failure(result).fields, ["answers.1.text"]);
    });

    it("refuses answerIds on a TEXT question and a TEXT question without text", async () => {
      const { event, text, single } = await eventWithQuestions();
      const withIds = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { answers: [{ questionId: text.id, answerIds: [ids(single)[0]], text: "x" }] },
      });
      assert.deepEqual(failure(withIds).fields, ["answers.0.answerIds"]);
      const withoutText = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: { answers: [{ questionId: text.id }] },
      });
      assert.deepEqual(failure(withoutText).fields, ["answers.0.text"]);
    });

    it("refuses the same question answered twice, naming the second one", async () => {
      const { event, text } = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: {
          answers: [
            { questionId: text.id, text: "a" },
            { questionId: text.id, text: "b" },
          ],
        },
      });
      assert.deepEqual(failure(result).fields, ["answers.1.questionId"]);
    });

    it("names every bad answer at once and writes nothing", async () => {
      const { event, single, multiple, text } = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITOR, {
        eventId: event.id,
        input: {
          answers: [
            { questionId: "unknown", answerIds: [] },
            { questionId: multiple.id, answerIds: [ids(single)[0]] },
            { questionId: single.id, answerIds: ids(single) },
            { questionId: multiple.id, text: "x" },
            { questionId: text.id, text: "ok" },
          ],
        },
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, [
        "answers.0.questionId",
        "answers.1.answerIds.0",
        "answers.2.answerIds",
        "answers.3.questionId",
      ]);
      assert.equal(await visitorCount(event.id), 0);
    });

    it("prefixes answer errors with inputs.<index> in bulk and writes none of the batch", async () => {
      const { event, single, text } = await eventWithQuestions();
      const result = await t.gql(CREATE_VISITORS, {
        eventId: event.id,
        inputs: [
          { answers: [{ questionId: text.id, text: "fine" }] },
          { answers: [{ questionId: single.id, text: "wrong" }] },
          { answers: [{ questionId: "nope", text: "x" }] },
        ],
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["inputs.1.answers.0.text", "inputs.2.answers.0.questionId"]);
      assert.equal(await visitorCount(event.id), 0);
    });

    it("replaces all answers on update, and an invalid update keeps answers and revision", async () => {
      const { event, single, multiple, text } = await eventWithQuestions();
      const visitor = await createVisitor(t, event.id, {
        answers: [
          { questionId: single.id, answerIds: [ids(single)[0]] },
          { questionId: text.id, text: "first" },
        ],
      });
      const updated = await t.ok<{ updateVisitor: { revision: number; answers: Answer[] } }>(UPDATE_VISITOR, {
        eventId: event.id,
        id: visitor.id,
        input: { answers: [{ questionId: multiple.id, answerIds: [ids(multiple)[1]] }] },
      });
      assert.deepEqual(updated.updateVisitor.answers, [
        { questionId: multiple.id, answerIds: [ids(multiple)[1]], text: null },
      ]);

      const refused = await t.gql(UPDATE_VISITOR, {
        eventId: event.id,
        id: visitor.id,
        input: { answers: [{ questionId: single.id, answerIds: ids(single) }] },
      });
      assert.deepEqual(failure(refused).fields, ["answers.0.answerIds"]);
      const read = await t.ok<{ visitor: { revision: number; answers: Answer[] } }>(GET_VISITOR, {
        eventId: event.id,
        id: visitor.id,
      });
      assert.deepEqual(read.visitor, {
        revision: updated.updateVisitor.revision,
        answers: updated.updateVisitor.answers,
      });
    });

    it("keeps answers when an update leaves them out, and clears them with null", async () => {
      const { event, text } = await eventWithQuestions();
      const visitor = await createVisitor(t, event.id, {
        answers: [{ questionId: text.id, text: "keep me" }],
      });
      const kept = await t.ok<{ updateVisitor: { answers: Answer[] } }>(UPDATE_VISITOR, {
        eventId: event.id,
        id: visitor.id,
        input: { registrationState: "HOLD" },
      });
      assert.deepEqual(kept.updateVisitor.answers, visitor.answers);
      const cleared = await t.ok<{ updateVisitor: { answers: Answer[] } }>(UPDATE_VISITOR, {
        eventId: event.id,
        id: visitor.id,
        input: { answers: null },
      });
      assert.deepEqual(cleared.updateVisitor.answers, []);
    });
  });
});
