import type { Logger } from "pino";
import type { FeedChange } from "@/src/services/feed-signal.js";
import type { WebhookChange, WebhookDeliveries } from "@/src/services/webhooks/webhook-deliveries.js";
import type { DeliveryEngine } from "./delivery-engine.js";
import { FeedCoalescer } from "./feed-coalescer.js";
import type { PingDriver } from "./ping-driver.js";
import { WatchedFeeds } from "./watched-feeds.js";

type Deps = {
  deliveries: WebhookDeliveries;
  driver: PingDriver;
  reconcileMs: number;
  logger: Logger;
};

// Timers beyond this are left to the reconcile (setTimeout holds at most ~24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Without Redis: one driver per webhook at a time in this process, a timer per pending retry.
 * A signal for a webhook whose driver is running marks it dirty, and the driver runs again when it
 * ends, so no change is left waiting for the reconcile.
 */
export class InProcessDeliveryEngine implements DeliveryEngine {
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly feeds: FeedCoalescer;
  private readonly watched: WatchedFeeds;
  private readonly stopping = new AbortController();
  private readonly reconcileTimer: NodeJS.Timeout;

  constructor(private readonly deps: Deps) {
    this.watched = new WatchedFeeds(deps.deliveries);
    this.feeds = new FeedCoalescer(this.watched, deps.deliveries, deps.logger, (id) =>
      this.wakeUnlessScheduled(id),
    );
    this.reconcileTimer = setInterval(() => {
      this.reconcile().catch((error) => deps.logger.warn({ err: error }, "webhook reconcile failed"));
    }, deps.reconcileMs);
    this.reconcileTimer.unref();
  }

  feedChanged(change: FeedChange): void {
    this.feeds.add(change);
  }

  webhookChanged(change: WebhookChange): void {
    this.watched.add(change);
    this.wake(change.id);
  }

  async reconcile(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    await this.watched.refresh();
    for (const id of await this.deps.deliveries.due()) this.wake(id);
  }

  async close(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.reconcileTimer);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled(this.running.values());
  }

  /** A feed change leaves a webhook's timer alone: its ping is already due at that time. */
  private wakeUnlessScheduled(id: string) {
    if (this.running.has(id)) this.dirty.add(id);
    else if (!this.timers.has(id)) this.wake(id);
  }

  private wake(id: string) {
    if (this.stopping.signal.aborted) return;
    if (this.running.has(id)) {
      this.dirty.add(id);
      return;
    }
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    const run = this.runDriver(id).finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private async runDriver(id: string) {
    do {
      this.dirty.delete(id);
      try {
        const nextAt = await this.deps.driver.drive(id, this.stopping.signal);
        if (nextAt) this.schedule(id, nextAt);
      } catch (error) {
        // The database is unreachable or similar: the reconcile tries again.
        this.deps.logger.warn({ err: error, webhookId: id }, "webhook delivery failed to run");
      }
    } while (this.dirty.has(id) && !this.stopping.signal.aborted);
  }

  private schedule(id: string, at: Date) {
    const delay = at.getTime() - Date.now();
    if (this.stopping.signal.aborted || delay > MAX_TIMER_MS) return;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        this.wake(id);
      },
      Math.max(0, delay),
    );
    timer.unref();
    this.timers.set(id, timer);
  }
}
