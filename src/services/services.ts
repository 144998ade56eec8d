import { ApiKeyVerifier } from "@/src/auth/api-key-verifier.js";
import type { Env } from "@/src/config/env.js";
import type { Db } from "@/src/db/database.js";
import type { RevisionAllocator } from "@/src/db/revisions.js";
import type { InvalidationBus } from "@/src/redis/invalidation-bus.js";
import { ApiKeyService } from "./api-key.service.js";
import { EventService } from "./event.service.js";
import { FunctionService } from "./function.service.js";
import { OrganisationService } from "./organisation.service.js";
import { PartnerService } from "./partner.service.js";
import { QuestionService } from "./question.service.js";
import { RegistrationTypeService } from "./registration-type.service.js";
import { SessionService } from "./session.service.js";
import { StatisticsService } from "./statistics.service.js";
import { UserService } from "./user.service.js";
import { VisitorService } from "./visitor.service.js";

export type Services = ReturnType<typeof createServices>;

/** Wires the domain services; each surface (GraphQL, REST, functions) calls only these. */
export function createServices(db: Db, revisions: RevisionAllocator, env: Env, bus: InvalidationBus) {
  const users = new UserService(db);
  const apiKeyVerifier = new ApiKeyVerifier(db, bus, {
    cacheTtlMs: env.API_KEY_CACHE_TTL_MS,
    defaults: { perMinute: env.RATE_LIMIT_PER_MINUTE, concurrency: env.RATE_LIMIT_CONCURRENCY },
  });
  const events = new EventService(db);
  const registrationTypes = new RegistrationTypeService(db, events);
  const questions = new QuestionService(db, events);
  return {
    users,
    apiKeyVerifier,
    apiKeys: new ApiKeyService(db, apiKeyVerifier),
    functions: new FunctionService(db, bus),
    statistics: new StatisticsService(db, env.STATS_MINUTE_RETENTION_DAYS),
    events,
    registrationTypes,
    questions,
    organisations: new OrganisationService(db, users),
    sessions: new SessionService(db, users, env.SESSION_TTL_HOURS * 3_600_000),
    visitors: new VisitorService(db, revisions, events, registrationTypes, questions),
    partners: new PartnerService(db, revisions, events, registrationTypes),
  };
}
