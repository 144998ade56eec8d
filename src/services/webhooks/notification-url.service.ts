import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { organisations, WEBHOOK_STATES, type WebhookRow, webhooks } from "@/schema/tables/index.js";
import { type Actor, requireAdmin } from "@/src/auth/actor.js";
import type { Db, Queryable } from "@/src/db/database.js";
import { SQL_STATE, sqlState } from "@/src/db/sql-state.js";
import { conflict, notFound } from "@/src/errors/app-error.js";
import type { OutboundPolicy } from "@/src/net/outbound-address.js";
import { newId } from "../ids.js";
import { parseInput } from "../validation.js";
import { checkDeliveryUrl } from "./delivery-url.js";
import { RESET } from "./webhook.service.js";
import { auditChanges, readAudit, updateAction, writeAudit } from "./webhook-audit.js";
import { changeOf, listDeliveries, type WebhookChange, type WebhookDelivery } from "./webhook-deliveries.js";
import { newWebhookSecret, type WebhookSecrets } from "./webhook-secret.js";
import { coverableRevision } from "./webhook-window.js";

/** The delivery state of an organisation's notification URL, as admins see it. */
export type NotificationUrl = Pick<
  WebhookRow,
  | "url"
  | "state"
  | "errorCount"
  | "deliveredRevision"
  | "coveredRevision"
  | "nextAttemptAt"
  | "lastSentAt"
  | "lastStatus"
  | "lastError"
  | "createdAt"
  | "updatedAt"
>;

export type OrganisationSettings = {
  id: string;
  name: string;
  createdAt: Date;
  notificationUrl: string | null;
  notification: NotificationUrl | null;
};

const updateSchema = z.object({
  notificationUrl: z.string().nullish(),
  notificationState: z
    .enum(WEBHOOK_STATES)
    .refine((state) => state === "WAIT", "only WAIT may be set: it resets the notification URL")
    .nullish(),
});

export type UpdateOrganisationInput = z.input<typeof updateSchema>;

const FIELD = "notificationUrl";

const notificationOf = (row: WebhookRow): NotificationUrl => ({
  url: row.url,
  state: row.state,
  errorCount: row.errorCount,
  deliveredRevision: row.deliveredRevision,
  coveredRevision: row.coveredRevision,
  nextAttemptAt: row.nextAttemptAt,
  lastSentAt: row.lastSentAt,
  lastStatus: row.lastStatus,
  lastError: row.lastError,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Two admins setting the first URL at once: the unique index lets one win. */
function conflictOnUniqueViolation(error: unknown): never {
  throw sqlState(error) === SQL_STATE.UNIQUE_VIOLATION
    ? conflict("The notification URL was set at the same time by someone else; try again")
    : error;
}

/**
 * Visit v1's notification URL (SPEC section 10): one per organisation, called once per change of a
 * visitor that leaves it REGISTERED, in revision order. Stored as a webhook row of type
 * NOTIFICATION_URL, so it shares the engine, ladder, error state, signing and log. ADMIN only.
 */
export class NotificationUrlService {
  private readonly listeners: ((change: WebhookChange) => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly secrets: WebhookSecrets,
    private readonly outbound: OutboundPolicy,
  ) {}

  onChange(listener: (change: WebhookChange) => void): void {
    this.listeners.push(listener);
  }

  async get(actor: Actor): Promise<OrganisationSettings> {
    const admin = requireAdmin(actor);
    return this.settings(this.db, admin.organisationId);
  }

  /**
   * Sets, changes or clears (null) the notification URL, or resets it (`notificationState: WAIT`).
   * Setting one where there was none starts at the latest revision and creates its signing
   * secret, returned here once.
   */
  async update(
    actor: Actor,
    input: UpdateOrganisationInput,
  ): Promise<{ organisation: OrganisationSettings; notificationSecret: string | null }> {
    const admin = requireAdmin(actor);
    const value = parseInput(updateSchema, input);
    const url =
      typeof value.notificationUrl === "string"
        ? await checkDeliveryUrl(value.notificationUrl, this.outbound, FIELD)
        : value.notificationUrl;
    const reset = value.notificationState === "WAIT";
    const secret = newWebhookSecret();
    const newRowId = newId();
    const sealed = await this.secrets.seal(newRowId, secret);
    const result = await this.db
      .transaction(async (tx) => {
        const before = await this.row(tx, admin.organisationId, true);
        if (!before) {
          if (reset && url === undefined) throw notFound("Notification URL");
          if (!url) return { row: undefined, created: false };
          const [created] = await tx
            .insert(webhooks)
            .values({
              id: newRowId,
              organisationId: admin.organisationId,
              eventId: null,
              type: "NOTIFICATION_URL",
              url,
              deliveredRevision: await coverableRevision(tx),
              secret: sealed,
            })
            .returning();
          await writeAudit(tx, created, "CREATED", admin, auditChanges({}, created));
          return { row: created, created: true };
        }
        if (url === null) {
          await tx.delete(webhooks).where(eq(webhooks.id, before.id));
          await writeAudit(tx, before, "DELETED", admin, {});
          return { row: undefined, created: false };
        }
        const [after] = await tx
          .update(webhooks)
          .set({ ...(url !== undefined && { url }), ...(reset && RESET), updatedAt: new Date() })
          .where(eq(webhooks.id, before.id))
          .returning();
        const changes = auditChanges(before, after);
        if (Object.keys(changes).length > 0 || reset) {
          await writeAudit(tx, after, updateAction(changes, reset), admin, changes);
        }
        return { row: after, created: false };
      })
      .catch(conflictOnUniqueViolation);
    if (result.row) for (const listener of this.listeners) listener(changeOf(result.row));
    return {
      organisation: await this.settings(this.db, admin.organisationId),
      notificationSecret: result.created ? secret : null,
    };
  }

  async deliveries(
    actor: Actor,
    options: { first?: number | null; before?: Date | null },
  ): Promise<WebhookDelivery[]> {
    const admin = requireAdmin(actor);
    const row = await this.row(this.db, admin.organisationId);
    return row ? listDeliveries(this.db, row.id, options) : [];
  }

  async auditLog(actor: Actor, options: { first?: number | null; before?: Date | null }) {
    const admin = requireAdmin(actor);
    return readAudit(this.db, admin.organisationId, { of: "notificationUrl", ...options });
  }

  private async settings(db: Queryable, organisationId: string): Promise<OrganisationSettings> {
    const [organisation] = await db.select().from(organisations).where(eq(organisations.id, organisationId));
    if (!organisation) throw notFound("Organisation");
    const row = await this.row(db, organisationId);
    return {
      id: organisation.id,
      name: organisation.name,
      createdAt: organisation.createdAt,
      notificationUrl: row?.url ?? null,
      notification: row ? notificationOf(row) : null,
    };
  }

  private async row(db: Queryable, organisationId: string, forUpdate = false) {
    const query = db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.organisationId, organisationId), eq(webhooks.type, "NOTIFICATION_URL")));
    const [row] = forUpdate ? await query.for("update") : await query;
    return row;
  }
}
