import { randomUUID } from "node:crypto";
import {
  and,
  asc,
  desc,
  eq,
  exists,
  gt,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { z } from "zod";
import { partners, visitors, type WebhookRow, webhookDeliveries, webhooks } from "@/schema/tables/index.js";
import type { Db } from "@/src/db/database.js";
import type { FeedChange } from "../feed-signal.js";
import { newId } from "../ids.js";
import { parseInput } from "../validation.js";
import type { WebhookSecrets } from "./webhook-secret.js";
import { coverableRevision } from "./webhook-window.js";

/** Attempts kept per webhook (SPEC section 10). */
export const KEPT_DELIVERIES = 100;
// An attempt's lease is its timeout plus this much (at most): an instance that died mid-attempt
// is presumed dead when the lease runs out, and the attempt is made again.
const LEASE_GRACE_MS = 5_000;

export type DeliveryOptions = {
  timeoutMs: number;
  /** Delay before each retry; after the last one fails, the webhook goes to ERROR. */
  retryDelaysMs: readonly number[];
  /**
   * Pings of one webhook start at least this far apart: changes in between join the next ping, so
   * a stream of writes costs one ping per interval, not one per write. The first change after a
   * quiet period goes at once. Not for the notification URL (one ping per change by definition).
   */
  minIntervalMs: number;
};

/** One attempt of one ping, claimed by this process: everything the sender needs. */
export type PingAttempt = {
  webhookId: string;
  organisationId: string;
  attemptId: string;
  url: string;
  /** Added to the URL's own query string: `expoId`/`webhookId`, or `event`/`visitor`. */
  params: Record<string, string>;
  /** The `webhook-id` header: stable across the retries of one ping. */
  messageId: string;
  secret: string;
  coveredRevision: number;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
};

/** How an attempt ended: an HTTP status (2xx acknowledges) or an error before any answer. */
export type PingOutcome = { at: Date; durationMs: number; status?: number; error?: string };

/** Which webhook (or notification URL) was created, changed, reset or deleted, and what it watches. */
export type WebhookChange = Pick<WebhookRow, "id" | "organisationId" | "eventId" | "type">;

export const changeOf = ({ id, organisationId, eventId, type }: WebhookRow): WebhookChange => ({
  id,
  organisationId,
  eventId,
  type,
});

/** What `claim` found: an attempt to make now, one due later, or nothing pending. */
export type Claim = { attempt: PingAttempt } | { nextAt: Date } | { idle: true };

const isAcknowledged = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

/** Resets a row to "no ping in flight". */
const NO_PING = {
  coveredRevision: null,
  pingEventId: null,
  pingRecordId: null,
  attemptId: null,
  nextAttemptAt: null,
} as const;

/**
 * The delivery state of webhooks and notification URLs, kept in the database and changed only by
 * conditional updates: at most one ping per webhook is in flight across every instance, and a
 * ping is acknowledged at most once. The engine (jobs/webhooks) decides when to call these.
 */
export class WebhookDeliveries {
  readonly leaseMs: number;

  constructor(
    private readonly db: Db,
    private readonly secrets: WebhookSecrets,
    readonly options: DeliveryOptions,
  ) {
    this.leaseMs = options.timeoutMs + Math.min(options.timeoutMs, LEASE_GRACE_MS);
  }

  /** Which feeds active webhooks watch: an event's visitors or partners, or an organisation's visitors. */
  async watchedFeeds() {
    return this.db
      .selectDistinct({
        organisationId: webhooks.organisationId,
        eventId: webhooks.eventId,
        type: webhooks.type,
      })
      .from(webhooks)
      .where(this.active());
  }

  /** The webhooks a committed change may give something to send (those without a ping in flight). */
  async targetsFor(change: FeedChange): Promise<string[]> {
    const rows = await this.db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(
        and(
          this.active(),
          isNull(webhooks.coveredRevision),
          or(
            and(eq(webhooks.eventId, change.eventId), eq(webhooks.type, change.kind)),
            change.kind === "VISITOR"
              ? and(eq(webhooks.organisationId, change.organisationId), eq(webhooks.type, "NOTIFICATION_URL"))
              : undefined,
          ),
        ),
      );
    return rows.map((row) => row.id);
  }

  /**
   * Webhooks with something to do now: a ping whose (re)try or lease is due, or changes after the
   * delivered revision and no ping in flight. A superset is fine: `claim` decides exactly.
   */
  async due(now = new Date(), id?: string): Promise<string[]> {
    const newer = (table: typeof visitors | typeof partners, scope: SQL, extra?: SQL) =>
      exists(
        this.db
          .select({ one: sql`1` })
          .from(table)
          .where(and(scope, gt(table.revision, webhooks.deliveredRevision), extra)),
      );
    const rows = await this.db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(
        and(
          this.active(),
          id ? eq(webhooks.id, id) : undefined,
          or(
            and(isNotNull(webhooks.coveredRevision), lte(webhooks.nextAttemptAt, now)),
            and(
              isNull(webhooks.coveredRevision),
              or(
                and(eq(webhooks.type, "VISITOR"), newer(visitors, eq(visitors.eventId, webhooks.eventId))),
                and(eq(webhooks.type, "PARTNER"), newer(partners, eq(partners.eventId, webhooks.eventId))),
                and(
                  eq(webhooks.type, "NOTIFICATION_URL"),
                  newer(
                    visitors,
                    eq(visitors.organisationId, webhooks.organisationId),
                    and(eq(visitors.registrationState, "REGISTERED"), eq(visitors.deleted, false)),
                  ),
                ),
              ),
            ),
          ),
        ),
      )
      .orderBy(asc(webhooks.nextAttemptAt));
    return rows.map((row) => row.id);
  }

  /**
   * Takes the next attempt of a webhook's ping, if one is due: opens a new ping (covering every
   * change after the delivered revision) when none is in flight, or retries the ping in flight when
   * its retry time (or a dead instance's lease) has come. The claim holds a lease of the timeout
   * plus a grace; only its holder may record the outcome.
   */
  async claim(id: string, now = new Date()): Promise<Claim> {
    const [row] = await this.db.select().from(webhooks).where(eq(webhooks.id, id));
    if (!row?.enabled || row.state !== "WAIT") return { idle: true };
    const attemptId = randomUUID();
    const lease = { attemptId, nextAttemptAt: new Date(now.getTime() + this.leaseMs) };
    let claimed: WebhookRow | undefined;
    if (row.coveredRevision === null) {
      const next = await this.nextPing(row);
      if (!next) return { idle: true };
      const spaced =
        row.lastSentAt &&
        row.type !== "NOTIFICATION_URL" &&
        row.lastSentAt.getTime() + this.options.minIntervalMs;
      if (spaced && spaced > now.getTime()) return { nextAt: new Date(spaced) };
      [claimed] = await this.db
        .update(webhooks)
        .set({ ...next, ...lease, errorCount: 0 })
        .where(
          and(
            eq(webhooks.id, id),
            this.active(),
            isNull(webhooks.coveredRevision),
            eq(webhooks.deliveredRevision, row.deliveredRevision),
          ),
        )
        .returning();
    } else {
      [claimed] = await this.db
        .update(webhooks)
        .set(lease)
        .where(
          and(
            eq(webhooks.id, id),
            this.active(),
            eq(webhooks.coveredRevision, row.coveredRevision),
            lte(webhooks.nextAttemptAt, now),
          ),
        )
        .returning();
    }
    if (!claimed) return this.pending(id);
    let secret: string;
    try {
      secret = await this.secrets.open(claimed.id, claimed.secret);
    } catch (error) {
      // Unsigned pings are never sent: the attempt fails like any other, and the log says why.
      const message = error instanceof Error ? error.message : String(error);
      const attempt = this.attemptOf(claimed, attemptId, "");
      const result = await this.finish(attempt, { at: now, durationMs: 0, error: `cannot sign: ${message}` });
      return result.nextAt ? { nextAt: result.nextAt } : { idle: true };
    }
    return { attempt: this.attemptOf(claimed, attemptId, secret) };
  }

  /**
   * Records an attempt's outcome, if the attempt still holds its claim (a reset or delete in the
   * meantime discards it). A 2xx moves the delivered revision to the covered one; a failure
   * schedules the next retry, or, after the last, puts the webhook in ERROR.
   */
  async finish(
    attempt: PingAttempt,
    outcome: PingOutcome,
  ): Promise<{ acknowledged: boolean; nextAt?: Date; errored?: boolean }> {
    const acknowledged = isAcknowledged(outcome.status);
    const delays = this.options.retryDelaysMs;
    const failures = attempt.attempt;
    const retryDelay = delays[failures - 1];
    const last = {
      lastSentAt: outcome.at,
      lastStatus: outcome.status ?? null,
      lastError: outcome.error ?? null,
    };
    const change = acknowledged
      ? { ...NO_PING, ...last, deliveredRevision: attempt.coveredRevision, errorCount: 0 }
      : retryDelay === undefined
        ? { ...NO_PING, ...last, state: "ERROR" as const, errorCount: failures }
        : {
            ...last,
            attemptId: null,
            errorCount: failures,
            nextAttemptAt: new Date(outcome.at.getTime() + outcome.durationMs + retryDelay),
          };
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(webhooks)
        .set({ ...change, updatedAt: new Date() })
        .where(and(eq(webhooks.id, attempt.webhookId), eq(webhooks.attemptId, attempt.attemptId)))
        .returning({ nextAttemptAt: webhooks.nextAttemptAt });
      // A superseded attempt (reset meanwhile) is still logged; a deleted webhook's is not.
      const [stillThere] = row
        ? [row]
        : await tx.select({ id: webhooks.id }).from(webhooks).where(eq(webhooks.id, attempt.webhookId));
      if (stillThere) {
        await tx.insert(webhookDeliveries).values({
          id: newId(),
          webhookId: attempt.webhookId,
          organisationId: attempt.organisationId,
          at: outcome.at,
          messageId: attempt.messageId,
          coveredRevision: attempt.coveredRevision,
          attempt: attempt.attempt,
          status: outcome.status ?? null,
          error: outcome.error ?? null,
          durationMs: Math.round(outcome.durationMs),
        });
        await tx
          .delete(webhookDeliveries)
          .where(
            inArray(
              webhookDeliveries.id,
              tx
                .select({ id: webhookDeliveries.id })
                .from(webhookDeliveries)
                .where(eq(webhookDeliveries.webhookId, attempt.webhookId))
                .orderBy(desc(webhookDeliveries.at), desc(webhookDeliveries.id))
                .offset(KEPT_DELIVERIES),
            ),
          );
      }
      if (!row) return { acknowledged: false };
      if (acknowledged) return { acknowledged };
      return row.nextAttemptAt
        ? { acknowledged, nextAt: row.nextAttemptAt }
        : { acknowledged, errored: true };
    });
  }

  /** Gives back a claim whose attempt was cancelled (shutdown), so it is due again at once, uncounted. */
  async release(attempt: PingAttempt): Promise<void> {
    await this.db
      .update(webhooks)
      .set({ attemptId: null, nextAttemptAt: new Date() })
      .where(and(eq(webhooks.id, attempt.webhookId), eq(webhooks.attemptId, attempt.attemptId)));
  }

  private active() {
    return and(eq(webhooks.enabled, true), eq(webhooks.state, "WAIT"));
  }

  /** When a webhook whose claim failed may next have something due (a retry, or a lease running out). */
  private async pending(id: string): Promise<Claim> {
    const [row] = await this.db.select().from(webhooks).where(eq(webhooks.id, id));
    if (row?.enabled && row.state === "WAIT" && row.coveredRevision !== null && row.nextAttemptAt) {
      return { nextAt: row.nextAttemptAt };
    }
    return { idle: true };
  }

  /**
   * What a new ping covers. A webhook: every change of its event and type up to the coverable
   * revision. The notification URL: the next REGISTERED visitor change of the organisation, one at
   * a time, in revision order.
   */
  private async nextPing(row: WebhookRow) {
    const upTo = await coverableRevision(this.db);
    if (upTo <= row.deliveredRevision) return undefined;
    const window = (table: typeof visitors | typeof partners) =>
      and(gt(table.revision, row.deliveredRevision), lte(table.revision, upTo));
    if (row.type === "NOTIFICATION_URL") {
      const [next] = await this.db
        .select({ id: visitors.id, eventId: visitors.eventId, revision: visitors.revision })
        .from(visitors)
        .where(
          and(
            eq(visitors.organisationId, row.organisationId),
            eq(visitors.registrationState, "REGISTERED"),
            eq(visitors.deleted, false),
            window(visitors),
          ),
        )
        .orderBy(asc(visitors.revision))
        .limit(1);
      return next && { coveredRevision: next.revision, pingEventId: next.eventId, pingRecordId: next.id };
    }
    const table = row.type === "VISITOR" ? visitors : partners;
    const [changed] = await this.db
      .select({ one: sql`1` })
      .from(table)
      .where(and(eq(table.eventId, row.eventId ?? ""), window(table)))
      .limit(1);
    return changed && { coveredRevision: upTo, pingEventId: null, pingRecordId: null };
  }

  private attemptOf(row: WebhookRow, attemptId: string, secret: string): PingAttempt {
    const covered = row.coveredRevision ?? 0;
    const params: Record<string, string> =
      row.type === "NOTIFICATION_URL"
        ? { event: row.pingEventId ?? "", visitor: row.pingRecordId ?? "" }
        : { expoId: row.eventId ?? "", webhookId: row.id };
    return {
      webhookId: row.id,
      organisationId: row.organisationId,
      attemptId,
      url: row.url,
      params,
      messageId: `msg_${row.id}_${covered}`,
      secret,
      coveredRevision: covered,
      attempt: row.errorCount + 1,
    };
  }
}

export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

/** A webhook's logged attempts, newest first; `before` pages back in time. */
export async function listDeliveries(
  db: Db,
  webhookId: string,
  options: { first?: number | null; before?: Date | null },
): Promise<WebhookDelivery[]> {
  const first = parseInput(z.number().int().min(1).max(KEPT_DELIVERIES).nullish(), options.first, "first");
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.webhookId, webhookId),
        options.before ? lt(webhookDeliveries.at, options.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.at), desc(webhookDeliveries.id))
    .limit(first ?? KEPT_DELIVERIES);
}
