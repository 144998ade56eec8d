import { randomBytes } from "node:crypto";
import type { As, GqlResult, TestApp } from "./harness.js";

const unique = () => randomBytes(4).toString("hex");

export type EventRef = { id: string; name: string };

export async function createEvent(
  t: TestApp,
  as?: As,
  input: Record<string, unknown> = {},
): Promise<EventRef> {
  const data = await t.ok<{ createEvent: EventRef }>(
    "mutation($input: CreateEventInput!) { createEvent(input: $input) { id name } }",
    {
      input: {
        name: `Expo ${unique()}`,
        start: "2027-03-01T09:00:00Z",
        end: "2027-03-03T18:00:00Z",
        timezone: "Europe/Amsterdam",
        ...input,
      },
    },
    { as },
  );
  return data.createEvent;
}

export async function createRegistrationType(
  t: TestApp,
  eventId: string | null,
  kind: "VISITOR" | "PARTNER" = "VISITOR",
  as?: As,
): Promise<string> {
  const data = await t.ok<{ createRegistrationType: { id: string } }>(
    "mutation($eventId: ID, $input: CreateRegistrationTypeInput!) { createRegistrationType(eventId: $eventId, input: $input) { id } }",
    { eventId, input: { name: `Type ${unique()}`, kind } },
    { as },
  );
  return data.createRegistrationType.id;
}

export const VISITOR_FIELDS = `id eventId registrationState registrationTypeId reference revision deleted createdAt updatedAt
  contact { firstName lastName email company jobTitle phone reference address { street street2 postalCode city region country } }
  answers { questionId answerIds text }`;

export type VisitorRef = {
  id: string;
  revision: number;
  deleted: boolean;
  registrationState: string;
} & Record<string, unknown>;

export async function createVisitor(
  t: TestApp,
  eventId: string,
  input: Record<string, unknown> = {},
  as?: As,
): Promise<VisitorRef> {
  const data = await t.ok<{ createVisitor: VisitorRef }>(
    `mutation($eventId: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $eventId, input: $input) { ${VISITOR_FIELDS} } }`,
    {
      eventId,
      input: {
        registrationState: "REGISTERED",
        contact: {
          firstName: "Ada",
          lastName: `Lovelace ${unique()}`,
          email: `ada.${unique()}@example.test`,
        },
        ...input,
      },
    },
    { as },
  );
  return data.createVisitor;
}

/** A user with the given roles in the admin's organisation; returns a session token. */
export async function userWithRoles(t: TestApp, roles: string[], as?: As): Promise<string> {
  const email = `user.${unique()}@example.test`;
  await t.ok(
    "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
    { input: { email, name: "Test User", password: "user-password-1", roles } },
    { as },
  );
  return t.login(email, "user-password-1");
}

/** A second organisation (created by the operator); returns its admin's session token. */
export async function otherOrganisation(t: TestApp): Promise<string> {
  const email = `admin.${unique()}@other.test`;
  await t.ok(
    "mutation($input: CreateOrganisationInput!) { createOrganisation(input: $input) { organisation { id } } }",
    { input: { name: `Other ${unique()}`, adminEmail: email, adminPassword: "other-password-1" } },
    { as: t.operatorToken },
  );
  return t.login(email, "other-password-1");
}

export const PARTNER_FIELDS = `id eventId name registrationTypeId reference stand hall website description revision deleted createdAt updatedAt
  contact { firstName lastName email company jobTitle phone reference address { street street2 postalCode city region country } }
  staff { firstName lastName email company jobTitle phone reference address { street street2 postalCode city region country } }`;

export type PartnerRef = { id: string; revision: number; deleted: boolean; name: string } & Record<
  string,
  unknown
>;

export async function createPartner(
  t: TestApp,
  eventId: string,
  input: Record<string, unknown> = {},
  as?: As,
): Promise<PartnerRef> {
  const data = await t.ok<{ createPartner: PartnerRef }>(
    `mutation($eventId: ID!, $input: CreatePartnerInput!) { createPartner(eventId: $eventId, input: $input) { ${PARTNER_FIELDS} } }`,
    { eventId, input: { name: `Partner ${unique()}`, ...input } },
    { as },
  );
  return data.createPartner;
}

export type QuestionRef = { id: string; kind: string; answers: { id: string; text: string }[] };

/** A question of an event; choice questions get the given answers (default: two). */
export async function createQuestion(
  t: TestApp,
  eventId: string,
  kind: "SINGLE_CHOICE" | "MULTIPLE_CHOICE" | "TEXT",
  answers: string[] = kind === "TEXT" ? [] : ["Yes", "No"],
  as?: As,
): Promise<QuestionRef> {
  const data = await t.ok<{ createQuestion: QuestionRef }>(
    "mutation($eventId: ID!, $input: CreateQuestionInput!) { createQuestion(eventId: $eventId, input: $input) { id kind answers { id text } } }",
    { eventId, input: { text: `Question ${unique()}`, kind, answers: answers.map((text) => ({ text })) } },
    { as },
  );
  return data.createQuestion;
}

/** The failure of a whole operation, reduced to what clients rely on (status, code, reason, named fields). */
export function failure(result: GqlResult) {
  const error = result.errors?.[0];
  return {
    status: result.status,
    code: error?.extensions?.code,
    reason: error?.extensions?.reason,
    fields: ((error?.extensions?.errors ?? []) as { field: string }[]).map((entry) => entry.field).sort(),
    data: result.data ?? null,
  };
}

export const API_KEY_FIELDS = `id state prefix comments expiresAt allowedIps eventIds canWrite
  contact { name email phone } rateLimitPerMinute concurrencyLimit createdAt updatedAt lastUsedAt`;

export type ApiKeyRef = { id: string; secret: string; prefix: string };

/** An API key (created by the admin unless `as` says otherwise); returns its id and its one-time secret. */
export async function createApiKey(
  t: TestApp,
  input: Record<string, unknown> = {},
  as?: As,
): Promise<ApiKeyRef> {
  const data = await t.ok<{ createApiKey: { apiKey: { id: string; prefix: string }; secret: string } }>(
    "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id prefix } secret } }",
    { input },
    { as },
  );
  const { apiKey, secret } = data.createApiKey;
  return { id: apiKey.id, prefix: apiKey.prefix, secret };
}

/** `Authorization: Basic base64(key + ":")`, or `base64(key)` alone with `withColon` false. */
export function basicAuth(secret: string, withColon = true): { headers: Record<string, string> } {
  const encoded = Buffer.from(withColon ? `${secret}:` : secret).toString("base64");
  return { headers: { authorization: `Basic ${encoded}` } };
}

export const FUNCTION_FIELDS = "id name type key code apiKeyId enabled lastSuccessAt createdAt updatedAt";
export const FUNCTION_RUN_FIELDS =
  "id functionId trigger status startedAt finishedAt durationMs logs error result";

export type FunctionRef = {
  id: string;
  name: string;
  type: "BACKGROUND_TASK" | "ENDPOINT";
  key: string | null;
  code: string;
  apiKeyId: string;
  enabled: boolean;
  lastSuccessAt: string | null;
};

export type FunctionRunRef = {
  id: string;
  functionId: string;
  trigger: "SCHEDULE" | "ENDPOINT" | "MANUAL";
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "OUT_OF_MEMORY";
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  logs: string;
  error: string | null;
  result?: unknown;
};

/** Function source whose default export runs `body` (an async function body with `ctx` in scope). */
export const functionCode = (body: string) => `export default async function (ctx) {\n${body}\n}\n`;

/**
 * A function (created by the admin unless `as` says otherwise): a BACKGROUND_TASK returning null by
 * default. Give `apiKeyId`, or an API key is created for it.
 */
export async function createFunction(
  t: TestApp,
  input: Record<string, unknown> = {},
  as?: As,
): Promise<FunctionRef> {
  const apiKeyId = input.apiKeyId ?? (await createApiKey(t, {}, as)).id;
  const data = await t.ok<{ createFunction: FunctionRef }>(
    `mutation($input: CreateFunctionInput!) { createFunction(input: $input) { ${FUNCTION_FIELDS} } }`,
    {
      input: {
        name: `Function ${unique()}`,
        type: "BACKGROUND_TASK",
        code: functionCode("return null;"),
        ...input,
        apiKeyId,
      },
    },
    { as },
  );
  return data.createFunction;
}

/** runFunction (a MANUAL run, waited for); fails the test on a GraphQL error, not on a failed run. */
export async function runFunction(t: TestApp, id: string, input?: unknown, as?: As): Promise<FunctionRunRef> {
  const data = await t.ok<{ runFunction: FunctionRunRef }>(
    `mutation($id: ID!, $input: JSON) { runFunction(id: $id, input: $input) { ${FUNCTION_RUN_FIELDS} } }`,
    { id, input },
    { as },
  );
  return data.runFunction;
}
