import type { FeedChange } from "@/src/services/feed-signal.js";
import type { WebhookChange } from "@/src/services/webhooks/webhook-deliveries.js";

/**
 * Delivers webhook and notification-URL pings (SPEC section 10). Two implementations behind this
 * type: BullMQ on Redis (many instances) and timers in this process (one instance). Both treat the
 * database as the truth: signals only make delivery prompt, and a reconcile every
 * WEBHOOK_RECONCILE_MS finds whatever a lost signal, a crash or a restart left due.
 */
export type DeliveryEngine = {
  /** A write to a feed committed: the webhooks it concerns may have something to send. */
  feedChanged(change: FeedChange): void;
  /** A webhook (or notification URL) was created, changed, reset or deleted: look at it now. */
  webhookChanged(change: WebhookChange): void;
  /** Starts every webhook with something due now. */
  reconcile(): Promise<void>;
  /** Stops starting pings; pings in flight are cancelled uncounted (their lease makes them due again). */
  close(): Promise<void>;
};
