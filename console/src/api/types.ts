// The shapes of the public GraphQL API (schema/schema.graphql) that the console reads and writes.

export const ROLES = ["ADMIN", "USER_ACCOUNT_MANAGEMENT", "DATA_MANAGEMENT"] as const;
export type Role = (typeof ROLES)[number];

export type User = {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  active: boolean;
  createdAt: string;
};
export type Session = { token: string; expiresAt: string; user: User };

export type ApiKeyState = "ACTIVE" | "DISABLED";
export type ApiKeyContact = { name: string | null; email: string | null; phone: string | null };
export type ApiKey = {
  id: string;
  state: ApiKeyState;
  comments: string | null;
  prefix: string;
  expiresAt: string | null;
  allowedIps: string[];
  eventIds: string[];
  canWrite: boolean;
  contact: ApiKeyContact;
  rateLimitPerMinute: number | null;
  concurrencyLimit: number | null;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
};
export type ApiKeyInput = {
  state?: ApiKeyState;
  comments?: string | null;
  expiresAt?: string | null;
  allowedIps?: string[];
  eventIds?: string[];
  canWrite?: boolean;
  contact?: ApiKeyContact | null;
  rateLimitPerMinute?: number | null;
  concurrencyLimit?: number | null;
};

export type AuditAction = "CREATED" | "UPDATED" | "DISABLED" | "ENABLED" | "DELETED";
export type AuditEntry = {
  id: string;
  apiKeyId: string;
  action: AuditAction;
  userId: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  at: string;
};

export type EventSummary = { id: string; name: string; start: string };

export const FUNCTION_TYPES = ["ENDPOINT", "BACKGROUND_TASK"] as const;
export type FunctionType = (typeof FUNCTION_TYPES)[number];
export type RunStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "OUT_OF_MEMORY";
export type FunctionRun = {
  id: string;
  functionId: string;
  trigger: "SCHEDULE" | "ENDPOINT" | "MANUAL";
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  logs: string;
  error: string | null;
};
export type ManualRun = FunctionRun & { result: unknown };
export type UserFunction = {
  id: string;
  name: string;
  type: FunctionType;
  key: string | null;
  code: string;
  apiKeyId: string;
  enabled: boolean;
  lastSuccessAt: string | null;
  createdAt: string;
  updatedAt: string;
};
export type FunctionInput = {
  name?: string;
  type?: FunctionType;
  key?: string | null;
  code?: string;
  apiKeyId?: string;
  enabled?: boolean;
};
export type RunPage = { nodes: FunctionRun[]; hasNextPage: boolean; endCursor: string | null };

export const CALL_TYPES = ["GRAPHQL", "JSON", "XML", "FUNCTION"] as const;
export type CallType = (typeof CALL_TYPES)[number];
export const RESOLUTIONS = ["MINUTE", "HOUR", "DAY", "MONTH"] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export type StatisticsBucket = {
  start: string;
  type: CallType;
  apiKeyId: string | null;
  userId: string | null;
  calls: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
};

export const WEBHOOK_TYPES = ["VISITOR", "PARTNER"] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];
export type WebhookState = "WAIT" | "ERROR";
/** What a webhook and the notification URL share: where pings go and how delivery stands. */
export type DeliveryTarget = {
  url: string;
  state: WebhookState;
  errorCount: number;
  deliveredRevision: number;
  coveredRevision: number | null;
  nextAttemptAt: string | null;
  lastSentAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
};
export type Webhook = DeliveryTarget & {
  id: string;
  eventId: string;
  type: WebhookType;
  enabled: boolean;
};
export type WebhookInput = { url?: string; enabled?: boolean; state?: WebhookState };
export type WebhookDelivery = {
  id: string;
  webhookId: string;
  messageId: string;
  attempt: number;
  coveredRevision: number;
  at: string;
  status: number | null;
  error: string | null;
  durationMs: number;
};
export type WebhookAuditAction = "CREATED" | "UPDATED" | "DISABLED" | "ENABLED" | "RESET" | "DELETED";
export type WebhookAuditEntry = {
  id: string;
  webhookId: string;
  eventId: string | null;
  action: WebhookAuditAction;
  userId: string | null;
  apiKeyId: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  at: string;
};
export type Organisation = {
  id: string;
  name: string;
  notificationUrl: string | null;
  notification: DeliveryTarget | null;
};
