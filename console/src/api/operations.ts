// Every GraphQL operation the console sends, named and typed.
import { operation } from "./client";
import type {
  ApiKey,
  ApiKeyInput,
  AuditEntry,
  CallType,
  EventSummary,
  FunctionInput,
  ManualRun,
  Organisation,
  Resolution,
  Role,
  RunPage,
  Session,
  StatisticsBucket,
  User,
  UserFunction,
  Webhook,
  WebhookAuditEntry,
  WebhookDelivery,
  WebhookInput,
  WebhookState,
  WebhookType,
} from "./types";

const USER = "id email name roles active createdAt";
const API_KEY = `id state comments prefix expiresAt allowedIps eventIds canWrite
  contact { name email phone } rateLimitPerMinute concurrencyLimit createdAt updatedAt lastUsedAt`;
const FUNCTION = "id name type key code apiKeyId enabled lastSuccessAt createdAt updatedAt";
const RUN = "id functionId trigger status startedAt finishedAt durationMs logs error";

export const Login = operation<{ login: Session }, { email: string; password: string }>(
  `mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { token expiresAt user { ${USER} } }
  }`,
);
export const Logout = operation<{ logout: boolean }>("mutation Logout { logout }");
export const Me = operation<{ me: User }>(`query Me { me { ${USER} } }`);

export const ApiKeys = operation<{ apiKeys: ApiKey[] }>(`query ApiKeys { apiKeys { ${API_KEY} } }`);
export const CreateApiKey = operation<
  { createApiKey: { apiKey: ApiKey; secret: string } },
  { input: ApiKeyInput }
>(
  `mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { apiKey { ${API_KEY} } secret }
  }`,
);
export const UpdateApiKey = operation<{ updateApiKey: ApiKey }, { id: string; input: ApiKeyInput }>(
  `mutation UpdateApiKey($id: ID!, $input: UpdateApiKeyInput!) {
    updateApiKey(id: $id, input: $input) { ${API_KEY} }
  }`,
);
export const DeleteApiKey = operation<{ deleteApiKey: { id: string } }, { id: string }>(
  "mutation DeleteApiKey($id: ID!) { deleteApiKey(id: $id) { id } }",
);
export const ApiKeyAuditLog = operation<
  { apiKeyAuditLog: AuditEntry[] },
  { apiKeyId: string; before?: string; first?: number }
>(
  `query ApiKeyAuditLog($apiKeyId: ID, $before: DateTimeISO, $first: Int) {
    apiKeyAuditLog(apiKeyId: $apiKeyId, before: $before, first: $first) { id apiKeyId action userId changes at }
  }`,
);

export const Events = operation<{ events: EventSummary[] }>("query Events { events { id name start } }");

export const Functions = operation<{ functions: UserFunction[] }>(
  `query Functions { functions { ${FUNCTION} } }`,
);
export const FunctionById = operation<{ function: UserFunction }, { id: string }>(
  `query Function($id: ID!) { function(id: $id) { ${FUNCTION} } }`,
);
export const CreateFunction = operation<
  { createFunction: UserFunction },
  { input: FunctionInput & { name: string; type: string; code: string; apiKeyId: string } }
>(`mutation CreateFunction($input: CreateFunctionInput!) { createFunction(input: $input) { ${FUNCTION} } }`);
export const UpdateFunction = operation<
  { updateFunction: UserFunction },
  { id: string; input: FunctionInput }
>(
  `mutation UpdateFunction($id: ID!, $input: UpdateFunctionInput!) {
    updateFunction(id: $id, input: $input) { ${FUNCTION} }
  }`,
);
export const DeleteFunction = operation<{ deleteFunction: { id: string } }, { id: string }>(
  "mutation DeleteFunction($id: ID!) { deleteFunction(id: $id) { id } }",
);
export const RunFunction = operation<{ runFunction: ManualRun }, { id: string; input?: unknown }>(
  `mutation RunFunction($id: ID!, $input: JSON) { runFunction(id: $id, input: $input) { ${RUN} result } }`,
);
export const FunctionRuns = operation<
  { functionRuns: RunPage },
  { functionId: string; first?: number; before?: string }
>(
  `query FunctionRuns($functionId: ID!, $first: Int, $before: ID) {
    functionRuns(functionId: $functionId, first: $first, before: $before) {
      nodes { ${RUN} } hasNextPage endCursor
    }
  }`,
);

/** The latest run of each function, in one request: one aliased field per function. */
export function latestRuns(ids: readonly string[]) {
  const variables = ids.map((_, index) => `$f${index}: ID!`).join(", ");
  const fields = ids
    .map(
      (_, index) =>
        `f${index}: functionRuns(functionId: $f${index}, first: 1) { nodes { id status startedAt } }`,
    )
    .join("\n");
  return operation<
    Record<string, { nodes: { id: string; status: string; startedAt: string }[] }>,
    Record<string, string>
  >(`query LatestRuns(${variables}) { ${fields} }`);
}

export const ApiStatistics = operation<
  { apiStatistics: StatisticsBucket[] },
  { from: string; until: string; resolution: Resolution; types?: CallType[]; apiKeyIds?: string[] }
>(
  `query ApiStatistics($from: DateTimeISO!, $until: DateTimeISO!, $resolution: StatisticsResolution!,
      $types: [ApiCallType!], $apiKeyIds: [ID!]) {
    apiStatistics(from: $from, until: $until, resolution: $resolution, types: $types, apiKeyIds: $apiKeyIds) {
      start type apiKeyId userId calls errors clientErrors serverErrors
    }
  }`,
);

export const Users = operation<{ users: User[] }>(`query Users { users { ${USER} } }`);
export const CreateUser = operation<
  { createUser: User },
  { input: { email: string; name: string; password: string; roles: Role[] } }
>(`mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { ${USER} } }`);
export const UpdateUser = operation<
  { updateUser: User },
  { id: string; input: { name?: string; roles?: Role[]; password?: string; active?: boolean } }
>(
  `mutation UpdateUser($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { ${USER} } }`,
);
export const DeleteUser = operation<{ deleteUser: { id: string } }, { id: string }>(
  "mutation DeleteUser($id: ID!) { deleteUser(id: $id) { id } }",
);

const TARGET = `url state errorCount deliveredRevision coveredRevision nextAttemptAt lastSentAt lastStatus
  lastError createdAt updatedAt`;
const WEBHOOK = `id eventId type enabled ${TARGET}`;
const DELIVERY = "id webhookId messageId attempt coveredRevision at status error durationMs";
const WEBHOOK_AUDIT = "id webhookId eventId action userId apiKeyId changes at";
const ORGANISATION = `id name notificationUrl notification { ${TARGET} }`;

export const Webhooks = operation<{ webhooks: Webhook[] }, { eventId: string }>(
  `query Webhooks($eventId: ID!) { webhooks(eventId: $eventId) { ${WEBHOOK} } }`,
);
export const CreateWebhook = operation<
  { createWebhook: { webhook: Webhook; secret: string } },
  { eventId: string; input: { type: WebhookType; url: string; enabled: boolean } }
>(
  `mutation CreateWebhook($eventId: ID!, $input: CreateWebhookInput!) {
    createWebhook(eventId: $eventId, input: $input) { webhook { ${WEBHOOK} } secret }
  }`,
);
export const UpdateWebhook = operation<
  { updateWebhook: Webhook },
  { eventId: string; id: string; input: WebhookInput }
>(
  `mutation UpdateWebhook($eventId: ID!, $id: ID!, $input: UpdateWebhookInput!) {
    updateWebhook(eventId: $eventId, id: $id, input: $input) { ${WEBHOOK} }
  }`,
);
export const DeleteWebhook = operation<{ deleteWebhook: { id: string } }, { eventId: string; id: string }>(
  "mutation DeleteWebhook($eventId: ID!, $id: ID!) { deleteWebhook(eventId: $eventId, id: $id) { id } }",
);
export const WebhookDeliveries = operation<
  { webhookDeliveries: WebhookDelivery[] },
  { webhookId: string; first?: number; before?: string }
>(
  `query WebhookDeliveries($webhookId: ID!, $first: Int, $before: DateTimeISO) {
    webhookDeliveries(webhookId: $webhookId, first: $first, before: $before) { ${DELIVERY} }
  }`,
);
export const WebhookAuditLog = operation<
  { webhookAuditLog: WebhookAuditEntry[] },
  { eventId: string; webhookId: string; first?: number; before?: string }
>(
  `query WebhookAuditLog($eventId: ID, $webhookId: ID, $first: Int, $before: DateTimeISO) {
    webhookAuditLog(eventId: $eventId, webhookId: $webhookId, first: $first, before: $before) {
      ${WEBHOOK_AUDIT}
    }
  }`,
);

export const OrganisationSettings = operation<{ organisation: Organisation }>(
  `query Organisation { organisation { ${ORGANISATION} } }`,
);
export const UpdateOrganisation = operation<
  { updateOrganisation: { organisation: Organisation; notificationSecret: string | null } },
  { input: { notificationUrl?: string | null; notificationState?: WebhookState } }
>(
  `mutation UpdateOrganisation($input: UpdateOrganisationInput!) {
    updateOrganisation(input: $input) { organisation { ${ORGANISATION} } notificationSecret }
  }`,
);
export const NotificationDeliveries = operation<
  { notificationDeliveries: WebhookDelivery[] },
  { first?: number; before?: string }
>(
  `query NotificationDeliveries($first: Int, $before: DateTimeISO) {
    notificationDeliveries(first: $first, before: $before) { ${DELIVERY} }
  }`,
);
export const NotificationAuditLog = operation<
  { notificationAuditLog: WebhookAuditEntry[] },
  { first?: number; before?: string }
>(
  `query NotificationAuditLog($first: Int, $before: DateTimeISO) {
    notificationAuditLog(first: $first, before: $before) { ${WEBHOOK_AUDIT} }
  }`,
);
