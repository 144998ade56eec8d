import { and, eq } from "drizzle-orm";
import { revisionCounter, type WebhookTypeValue, webhooks } from "@/schema/tables/index.js";
import type { OrganisationActor } from "@/src/auth/actor.js";
import type { Queryable } from "@/src/db/database.js";
import { notFound } from "@/src/errors/app-error.js";
import type { FeedWindow } from "../change-feed.js";

/**
 * The latest revision a ping may cover: every revision at or below it that will ever commit is
 * visible now, so a receiver that pulled up to it can never later miss a lower one.
 *
 * Today revisions are handed out under a row lock held until commit (revision.service.ts), so the
 * committed value of the counter is exactly that horizon. This is the one place to change when the
 * allocator changes.
 */
export async function coverableRevision(db: Queryable): Promise<number> {
  const [row] = await db
    .select({ value: revisionCounter.value })
    .from(revisionCounter)
    .where(eq(revisionCounter.id, 1));
  return row?.value ?? 0;
}

/**
 * The pull by webhook (SPEC section 10): the records of the webhook's event and type with
 * `deliveredRevision < revision <= coveredRevision`, or up to the latest coverable revision when
 * no ping is in flight. Another organisation's, event's or type's webhook is NOT_FOUND.
 */
export async function webhookWindow(
  db: Queryable,
  actor: OrganisationActor,
  eventId: string,
  type: WebhookTypeValue,
  webhookId: string,
): Promise<FeedWindow> {
  const [row] = await db
    .select({ delivered: webhooks.deliveredRevision, covered: webhooks.coveredRevision })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.id, webhookId),
        eq(webhooks.organisationId, actor.organisationId),
        eq(webhooks.eventId, eventId),
        eq(webhooks.type, type),
      ),
    );
  if (!row) throw notFound("Webhook");
  return { after: row.delivered, upTo: row.covered ?? (await coverableRevision(db)) };
}
