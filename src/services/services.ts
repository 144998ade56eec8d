import { ApiKeyVerifier } from "@/src/auth/api-key-verifier.js";
import type { Env } from "@/src/config/env.js";
import type { Db } from "@/src/db/database.js";
import type { RevisionAllocator } from "@/src/db/revisions.js";
import type { OutboundPolicy } from "@/src/net/outbound-address.js";
import type { InvalidationBus } from "@/src/redis/invalidation-bus.js";
import { ApiKeyService } from "./api-key.service.js";
import { EventService } from "./event.service.js";
import { FeedSignal } from "./feed-signal.js";
import { EndpointCache } from "./functions/endpoint-cache.js";
import { FunctionDefinitionService } from "./functions/function-definition.service.js";
import { FunctionRunService } from "./functions/function-run.service.js";
import { FunctionStateService } from "./functions/function-state.service.js";
import type { FunctionInvoker } from "./functions/function-types.js";
import { OrganisationService } from "./organisation.service.js";
import { PartnerService } from "./partner.service.js";
import { QuestionService } from "./question.service.js";
import { RegistrationTypeService } from "./registration-type.service.js";
import { SessionService } from "./session.service.js";
import { StatisticsService } from "./statistics.service.js";
import { UserService } from "./user.service.js";
import { VisitorService } from "./visitor.service.js";
import { NotificationUrlService } from "./webhooks/notification-url.service.js";
import { WebhookService } from "./webhooks/webhook.service.js";
import { WebhookDeliveries } from "./webhooks/webhook-deliveries.js";
import { WebhookSecrets } from "./webhooks/webhook-secret.js";

export type Services = ReturnType<typeof createServices>;

/**
 * What the services get from the composition root: the function runner (it lives in jobs/) and the
 * outbound address policy (shared with the sandbox's fetch and the webhook sender).
 */
export type ServicePorts = { functionInvoker: FunctionInvoker; outbound: OutboundPolicy };

/** Wires the domain services; each surface (GraphQL, REST, functions) calls only these. */
export function createServices(
  db: Db,
  revisions: RevisionAllocator,
  env: Env,
  bus: InvalidationBus,
  ports: ServicePorts,
) {
  const users = new UserService(db);
  const apiKeyVerifier = new ApiKeyVerifier(db, bus, {
    cacheTtlMs: env.API_KEY_CACHE_TTL_MS,
    defaults: { perMinute: env.RATE_LIMIT_PER_MINUTE, concurrency: env.RATE_LIMIT_CONCURRENCY },
  });
  const events = new EventService(db, revisions);
  const registrationTypes = new RegistrationTypeService(db, events);
  const questions = new QuestionService(db, events);
  const functionRuns = new FunctionRunService(db);
  const endpoints = new EndpointCache(db, bus);
  functionRuns.onSucceeded((id, lastSuccessAt) => endpoints.recordSuccess(id, lastSuccessAt));
  const feedSignal = new FeedSignal();
  const webhookSecrets = new WebhookSecrets(db, env.WEBHOOK_SECRET_KEY);
  return {
    users,
    apiKeyVerifier,
    apiKeys: new ApiKeyService(db, apiKeyVerifier),
    functions: new FunctionDefinitionService(db, bus, ports.functionInvoker),
    functionRuns,
    functionState: new FunctionStateService(db),
    endpoints,
    statistics: new StatisticsService(db, env.STATS_MINUTE_RETENTION_DAYS),
    events,
    registrationTypes,
    questions,
    organisations: new OrganisationService(db, users),
    sessions: new SessionService(db, users, env.SESSION_TTL_HOURS * 3_600_000),
    visitors: new VisitorService(db, revisions, events, registrationTypes, questions, feedSignal),
    partners: new PartnerService(db, revisions, events, registrationTypes, feedSignal),
    feedSignal,
    webhooks: new WebhookService(db, events, webhookSecrets, ports.outbound),
    notificationUrl: new NotificationUrlService(db, webhookSecrets, ports.outbound),
    webhookDeliveries: new WebhookDeliveries(db, webhookSecrets, {
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      retryDelaysMs: env.WEBHOOK_RETRY_DELAYS_MS,
      minIntervalMs: env.WEBHOOK_MIN_INTERVAL_MS,
    }),
  };
}
