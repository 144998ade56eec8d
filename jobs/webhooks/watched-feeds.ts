import type { FeedChange } from "@/src/services/feed-signal.js";
import type { WebhookDeliveries } from "@/src/services/webhooks/webhook-deliveries.js";

/**
 * The feeds some active webhook watches, as of the last refresh: a write to any other feed (most
 * events have no webhook) costs no query at all. Refreshed at every reconcile and after every
 * webhook change on this instance, so a webhook created on another instance is signalled here
 * from this instance's next reconcile on; until then, the reconcile itself delivers.
 */
export class WatchedFeeds {
  private feeds = new Set<string>();

  constructor(private readonly deliveries: WebhookDeliveries) {}

  async refresh(): Promise<void> {
    const rows = await this.deliveries.watchedFeeds();
    this.feeds = new Set(
      rows.map((row) =>
        row.type === "NOTIFICATION_URL" ? `organisation/${row.organisationId}` : `${row.eventId}/${row.type}`,
      ),
    );
  }

  concerns(change: FeedChange): boolean {
    return (
      this.feeds.has(`${change.eventId}/${change.kind}`) ||
      (change.kind === "VISITOR" && this.feeds.has(`organisation/${change.organisationId}`))
    );
  }
}
