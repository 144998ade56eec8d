import type { Logger } from "pino";
import type { FeedChange } from "@/src/services/feed-signal.js";
import type { WebhookDeliveries } from "@/src/services/webhooks/webhook-deliveries.js";
import type { WatchedFeeds } from "./watched-feeds.js";

/**
 * Turns feed changes into the webhooks to wake, for either engine. Writes in one tick (a bulk, a
 * burst) cost one lookup per feed; a lost lookup is caught up by the engine's reconcile.
 */
export class FeedCoalescer {
  private readonly pending = new Map<string, FeedChange>();

  constructor(
    private readonly watched: WatchedFeeds,
    private readonly deliveries: WebhookDeliveries,
    private readonly logger: Logger,
    private readonly wake: (webhookId: string) => unknown,
  ) {}

  add(change: FeedChange): void {
    if (!this.watched.concerns(change)) return;
    if (this.pending.size === 0) setImmediate(() => this.flush());
    this.pending.set(`${change.eventId}/${change.kind}`, change);
  }

  private flush() {
    const changes = [...this.pending.values()];
    this.pending.clear();
    for (const change of changes) {
      this.deliveries
        .targetsFor(change)
        .then((ids) => Promise.all(ids.map((id) => this.wake(id))))
        .catch((error) =>
          this.logger.warn({ err: error }, "webhook signal lost; the reconcile will catch up"),
        );
    }
  }
}
