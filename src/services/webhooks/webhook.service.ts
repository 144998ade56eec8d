import { and, asc, count, eq } from "drizzle-orm";
import { z } from "zod";
import { WEBHOOK_STATES, WEBHOOK_TYPES, type WebhookRow, webhooks } from "@/schema/tables/index.js";
import { type Actor, type OrganisationActor, requireDataRead } from "@/src/auth/actor.js";
import type { Db, Queryable } from "@/src/db/database.js";
import { conflict, notFound } from "@/src/errors/app-error.js";
import type { OutboundPolicy } from "@/src/net/outbound-address.js";
import type { EventService } from "../event.service.js";
import { newWebhookId } from "../ids.js";
import { parseInput, withDefault } from "../validation.js";
import { checkDeliveryUrl } from "./delivery-url.js";
import { auditChanges, readAudit, updateAction, writeAudit } from "./webhook-audit.js";
import { changeOf, listDeliveries, type WebhookChange, type WebhookDelivery } from "./webhook-deliveries.js";
import { newWebhookSecret, type WebhookSecrets } from "./webhook-secret.js";
import { coverableRevision } from "./webhook-window.js";

/** Most webhooks one event may have: each one is pinged on every change. */
export const MAX_WEBHOOKS_PER_EVENT = 25;

export type Webhook = Omit<
  WebhookRow,
  "secret" | "attemptId" | "pingEventId" | "pingRecordId" | "eventId" | "type"
> & { eventId: string; type: (typeof WEBHOOK_TYPES)[number] };

const createSchema = z.object({
  type: z.enum(WEBHOOK_TYPES),
  url: z.string(),
  enabled: withDefault(z.boolean(), true),
});
const updateSchema = z.object({
  url: z.string().nullish(),
  enabled: z.boolean().nullish(),
  state: z
    .enum(WEBHOOK_STATES)
    .refine((state) => state === "WAIT", "only WAIT may be set: it resets the webhook")
    .nullish(),
});

export type CreateWebhookInput = z.input<typeof createSchema>;
export type UpdateWebhookInput = z.input<typeof updateSchema>;

/** What a reset (state: WAIT) clears: the error state, the retry ladder and the ping in flight. */
export const RESET = {
  state: "WAIT",
  errorCount: 0,
  coveredRevision: null,
  pingEventId: null,
  pingRecordId: null,
  attemptId: null,
  nextAttemptAt: null,
} as const;

export function toWebhook(row: WebhookRow): Webhook {
  const { secret, attemptId, pingEventId, pingRecordId, eventId, type, ...rest } = row;
  return { ...rest, eventId: eventId ?? "", type: type === "PARTNER" ? "PARTNER" : "VISITOR" };
}

/**
 * Webhooks as integrations manage them (SPEC section 10): users with DATA_MANAGEMENT, and API keys
 * for the events in their scope even when read-only, as on Visit. Every change is audited and
 * told to the listeners (the delivery engine).
 */
export class WebhookService {
  private readonly listeners: ((change: WebhookChange) => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly events: EventService,
    private readonly secrets: WebhookSecrets,
    private readonly outbound: OutboundPolicy,
  ) {}

  onChange(listener: (change: WebhookChange) => void): void {
    this.listeners.push(listener);
  }

  async list(actor: Actor, eventId: string): Promise<Webhook[]> {
    const org = await this.scope(actor, eventId);
    const rows = await this.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.organisationId, org.organisationId), eq(webhooks.eventId, eventId)))
      .orderBy(asc(webhooks.createdAt), asc(webhooks.id));
    return rows.map(toWebhook);
  }

  async get(actor: Actor, eventId: string, id: string): Promise<Webhook> {
    const org = await this.scope(actor, eventId);
    return toWebhook(await this.row(this.db, org, eventId, id));
  }

  /**
   * A new webhook starts at the latest revision: it reports changes made after its creation.
   * Returns the signing secret: the only time it is shown.
   */
  async create(
    actor: Actor,
    eventId: string,
    input: CreateWebhookInput,
  ): Promise<{ webhook: Webhook; secret: string }> {
    const org = await this.scope(actor, eventId);
    const value = parseInput(createSchema, input);
    const url = await checkDeliveryUrl(value.url, this.outbound, "url");
    const id = newWebhookId();
    const secret = newWebhookSecret();
    const sealed = await this.secrets.seal(id, secret);
    const row = await this.db.transaction(async (tx) => {
      const [existing] = await tx
        .select({ total: count() })
        .from(webhooks)
        .where(eq(webhooks.eventId, eventId));
      if ((existing?.total ?? 0) >= MAX_WEBHOOKS_PER_EVENT) {
        throw conflict(`An event has at most ${MAX_WEBHOOKS_PER_EVENT} webhooks`);
      }
      const [created] = await tx
        .insert(webhooks)
        .values({
          id,
          organisationId: org.organisationId,
          eventId,
          type: value.type,
          url,
          enabled: value.enabled,
          deliveredRevision: await coverableRevision(tx),
          secret: sealed,
        })
        .returning();
      await writeAudit(tx, created, "CREATED", org, auditChanges({}, created));
      return created;
    });
    this.changed(row);
    return { webhook: toWebhook(row), secret };
  }

  /**
   * Changes the URL or `enabled`; `state: WAIT` resets: the error state and the retry ladder are
   * cleared, and the next ping covers everything since the delivered revision.
   */
  async update(actor: Actor, eventId: string, id: string, input: UpdateWebhookInput): Promise<Webhook> {
    const org = await this.scope(actor, eventId);
    const value = parseInput(updateSchema, input);
    const url = value.url != null ? await checkDeliveryUrl(value.url, this.outbound, "url") : undefined;
    const reset = value.state === "WAIT";
    const row = await this.db.transaction(async (tx) => {
      const before = await this.row(tx, org, eventId, id, true);
      const [after] = await tx
        .update(webhooks)
        .set({
          ...(url !== undefined && { url }),
          ...(value.enabled != null && { enabled: value.enabled }),
          ...(reset && RESET),
          updatedAt: new Date(),
        })
        .where(eq(webhooks.id, id))
        .returning();
      const changes = auditChanges(before, after);
      if (Object.keys(changes).length > 0 || reset) {
        await writeAudit(tx, after, updateAction(changes, reset), org, changes);
      }
      return after;
    });
    this.changed(row);
    return toWebhook(row);
  }

  async delete(actor: Actor, eventId: string, id: string): Promise<Webhook> {
    const org = await this.scope(actor, eventId);
    const row = await this.db.transaction(async (tx) => {
      const existing = await this.row(tx, org, eventId, id, true);
      await tx.delete(webhooks).where(eq(webhooks.id, id));
      await writeAudit(tx, existing, "DELETED", org, {});
      return existing;
    });
    this.changed(row);
    return toWebhook(row);
  }

  /** The webhook's last attempts (at most 100 are kept), newest first. */
  async deliveries(
    actor: Actor,
    webhookId: string,
    options: { first?: number | null; before?: Date | null },
  ): Promise<WebhookDelivery[]> {
    const org = requireDataRead(actor);
    const [row] = await this.db
      .select({ eventId: webhooks.eventId })
      .from(webhooks)
      .where(and(eq(webhooks.organisationId, org.organisationId), eq(webhooks.id, webhookId)));
    if (!row?.eventId) throw notFound("Webhook");
    await this.events.checkVisible(org, row.eventId);
    return listDeliveries(this.db, webhookId, options);
  }

  /** Who changed which webhook; one event's, or every event's the caller may see. */
  async auditLog(
    actor: Actor,
    options: {
      eventId?: string | null;
      webhookId?: string | null;
      first?: number | null;
      before?: Date | null;
    },
  ) {
    const org = requireDataRead(actor);
    if (options.eventId) await this.events.visible(org, options.eventId);
    const scoped = org.kind === "apiKey" && org.eventIds.length > 0 ? org.eventIds : undefined;
    return readAudit(this.db, org.organisationId, {
      of: { events: options.eventId ? [options.eventId] : (scoped ?? "all") },
      webhookId: options.webhookId,
      first: options.first,
      before: options.before,
    });
  }

  private async scope(actor: Actor, eventId: string): Promise<OrganisationActor> {
    const org = requireDataRead(actor);
    await this.events.visible(org, eventId);
    return org;
  }

  private async row(
    db: Queryable,
    org: OrganisationActor,
    eventId: string,
    id: string,
    forUpdate = false,
  ): Promise<WebhookRow> {
    const query = db
      .select()
      .from(webhooks)
      .where(
        and(
          eq(webhooks.organisationId, org.organisationId),
          eq(webhooks.eventId, eventId),
          eq(webhooks.id, id),
        ),
      );
    const [row] = forUpdate ? await query.for("update") : await query;
    if (!row) throw notFound("Webhook");
    return row;
  }

  private changed(row: WebhookRow) {
    for (const listener of this.listeners) listener(changeOf(row));
  }
}
