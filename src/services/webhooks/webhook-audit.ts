import { and, desc, eq, inArray, isNotNull, isNull, lt } from "drizzle-orm";
import { z } from "zod";
import { type WEBHOOK_AUDIT_ACTIONS, type WebhookRow, webhookAudit } from "@/schema/tables/index.js";
import type { OrganisationActor } from "@/src/auth/actor.js";
import type { Queryable, Tx } from "@/src/db/database.js";
import { newId } from "../ids.js";
import { parseInput } from "../validation.js";

export type WebhookAuditAction = (typeof WEBHOOK_AUDIT_ACTIONS)[number];
export type WebhookAuditEntry = typeof webhookAudit.$inferSelect;
type Changes = Record<string, { from: unknown; to: unknown }>;

// Compared and recorded; never the secret.
const AUDITED = ["type", "url", "enabled", "state", "errorCount"] as const;

export function auditChanges(before: Partial<WebhookRow>, after: Partial<WebhookRow>): Changes {
  const changes: Changes = {};
  for (const field of AUDITED) {
    if (JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null)) {
      changes[field] = { from: before[field] ?? null, to: after[field] ?? null };
    }
  }
  return changes;
}

/** What an update amounts to, for the trail: a reset, an enable/disable, or a plain update. */
export function updateAction(changes: Changes, reset: boolean): WebhookAuditAction {
  const fields = Object.keys(changes).filter((field) => field !== "state" && field !== "errorCount");
  if (reset && fields.length === 0) return "RESET";
  if (fields.length === 1 && fields[0] === "enabled") return changes.enabled?.to ? "ENABLED" : "DISABLED";
  return "UPDATED";
}

export async function writeAudit(
  tx: Tx,
  row: WebhookRow,
  action: WebhookAuditAction,
  actor: OrganisationActor,
  changes: Changes,
): Promise<void> {
  await tx.insert(webhookAudit).values({
    id: newId(),
    organisationId: row.organisationId,
    webhookId: row.id,
    eventId: row.eventId,
    action,
    userId: actor.kind === "user" ? actor.userId : null,
    apiKeyId: actor.kind === "apiKey" ? actor.apiKeyId : null,
    changes,
  });
}

export type AuditQuery = {
  /** Events' webhooks (these events only, when given), or the notification URL's entries. */
  of: { events: readonly string[] | "all" } | "notificationUrl";
  webhookId?: string | null;
  first?: number | null;
  before?: Date | null;
};

/** The trail, newest first. */
export async function readAudit(db: Queryable, organisationId: string, query: AuditQuery) {
  const first = parseInput(z.number().int().min(1).max(500).nullish(), query.first, "first") ?? 100;
  return db
    .select()
    .from(webhookAudit)
    .where(
      and(
        eq(webhookAudit.organisationId, organisationId),
        query.of === "notificationUrl"
          ? isNull(webhookAudit.eventId)
          : query.of.events === "all"
            ? isNotNull(webhookAudit.eventId)
            : inArray(webhookAudit.eventId, [...query.of.events]),
        query.webhookId ? eq(webhookAudit.webhookId, query.webhookId) : undefined,
        query.before ? lt(webhookAudit.at, query.before) : undefined,
      ),
    )
    .orderBy(desc(webhookAudit.at), desc(webhookAudit.id))
    .limit(first);
}
