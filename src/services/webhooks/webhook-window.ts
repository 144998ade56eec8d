import { and, eq } from "drizzle-orm";
import { type WebhookTypeValue, webhooks } from "@/schema/tables/index.js";
import type { OrganisationActor } from "@/src/auth/actor.js";
import type { Queryable } from "@/src/db/database.js";
import { visibleHorizon } from "@/src/db/revisions.js";
import { notFound } from "@/src/errors/app-error.js";
import type { FeedWindow } from "../change-feed.js";

/**
 * The latest revision a ping may cover: every revision at or below it that will ever commit is
 * visible now, so a receiver that pulled up to it can never later miss a lower one. That is the
 * feed's horizon (src/db/revisions.ts): below the lowest revision a running writer holds.
 */
export const coverableRevision = (db: Queryable): Promise<number> => visibleHorizon(db);

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
