import type { FeedChange } from "@/src/services/feed-signal.js";
import type { WebhookChange, WebhookDeliveries } from "@/src/services/webhooks/webhook-deliveries.js";

const keyOf = (row: Pick<WebhookChange, "organisationId" | "eventId" | "type">) =>
  row.type === "NOTIFICATION_URL" ? `organisation/${row.organisationId}` : `${row.eventId}/${row.type}`;

/**
 * The feeds some active webhook watches, as of the last refresh: a write to any other feed (most
 * events have no webhook) costs no query at all. A webhook changed on this instance is added at
 * once (before its mutation answers); the set is refreshed at every reconcile, so a webhook created
 * on another instance is signalled here from this instance's next reconcile on, and until then
 * the reconcile itself delivers.
 */
export class WatchedFeeds {
  private feeds = new Set<string>();

  constructor(private readonly deliveries: WebhookDeliveries) {}

  async refresh(): Promise<void> {
    const rows = await this.deliveries.watchedFeeds();
    this.feeds = new Set(rows.map(keyOf));
  }

  /** Watching too much costs a query per write; too little, a delay: a changed webhook is added. */
  add(change: WebhookChange): void {
    this.feeds.add(keyOf(change));
  }

  concerns(change: FeedChange): boolean {
    return (
      this.feeds.has(`${change.eventId}/${change.kind}`) ||
      (change.kind === "VISITOR" && this.feeds.has(`organisation/${change.organisationId}`))
    );
  }
}
