import { DelayedError, type Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { queueErrorLogger } from "@/src/redis/redis.js";
import type { FeedChange } from "@/src/services/feed-signal.js";
import type { WebhookChange, WebhookDeliveries } from "@/src/services/webhooks/webhook-deliveries.js";
import type { DeliveryEngine } from "./delivery-engine.js";
import { FeedCoalescer } from "./feed-coalescer.js";
import type { PingDriver } from "./ping-driver.js";
import { WatchedFeeds } from "./watched-feeds.js";

/** The queue of webhook pings: one job per webhook, its id `ping-<webhook id>`. */
export const WEBHOOK_QUEUE = "webhook-pings";
const PING_JOB = "ping";
type PingJobData = { webhookId: string };

// Pings wait on the network, not the CPU.
const CONCURRENCY = 32;
// A worker that dies mid-ping loses its job's lock after this, and the job is handed to another
// worker at the next stall check: together at most ~10 s, after which the database lease decides.
const LOCK_MS = 5_000;

const jobId = (webhookId: string) => `ping-${webhookId}`;

type Deps = {
  connection: Redis;
  prefix: string;
  deliveries: WebhookDeliveries;
  driver: PingDriver;
  reconcileMs: number;
  /** Whether this process also sends pings (RUN_WORKER), or only enqueues them. */
  runWorker: boolean;
  logger: Logger;
};

/**
 * With Redis: pings run as BullMQ jobs, one job id per webhook, so a webhook's signals collapse
 * into the job already waiting, and at most one ping per webhook is in flight across every
 * instance (the conditional updates in the database guarantee it even if a job ran twice). A
 * failed attempt moves its job to the delayed set until the retry is due; an acknowledged one
 * goes straight on to the next ping when changes arrived meanwhile. The feed signal needs no
 * pub/sub of its own: the queue is what every instance shares.
 */
export class BullMqDeliveryEngine implements DeliveryEngine {
  private readonly queue: Queue<PingJobData>;
  private readonly worker: Worker<PingJobData> | undefined;
  private readonly stopping = new AbortController();
  private readonly reconcileTimer: NodeJS.Timeout;
  private readonly feeds: FeedCoalescer;
  private readonly watched: WatchedFeeds;

  constructor(private readonly deps: Deps) {
    this.watched = new WatchedFeeds(deps.deliveries);
    this.feeds = new FeedCoalescer(this.watched, deps.deliveries, deps.logger, (id) => this.enqueue(id));
    const { connection, prefix, logger } = deps;
    this.queue = new Queue<PingJobData>(WEBHOOK_QUEUE, { connection, prefix });
    this.queue.on("error", queueErrorLogger(logger, "webhook queue error"));
    if (deps.runWorker) {
      this.worker = new Worker<PingJobData>(WEBHOOK_QUEUE, (job, token) => this.process(job, token), {
        connection,
        prefix,
        concurrency: CONCURRENCY,
        lockDuration: LOCK_MS,
        stalledInterval: LOCK_MS,
      });
      // A signal that came while the job was running was dropped as a duplicate: look once more.
      this.worker.on("completed", (job) => this.recheck(job.data.webhookId));
      this.worker.on("failed", (job, error) =>
        logger.warn({ err: error, webhookId: job?.data.webhookId }, "webhook ping job failed"),
      );
      this.worker.on("error", queueErrorLogger(logger, "webhook worker error"));
    }
    this.reconcileTimer = setInterval(() => {
      this.reconcile().catch((error) => logger.warn({ err: error }, "webhook reconcile failed"));
    }, deps.reconcileMs);
    this.reconcileTimer.unref();
  }

  feedChanged(change: FeedChange): void {
    this.feeds.add(change);
  }

  webhookChanged(change: WebhookChange): void {
    this.watched.add(change);
    this.ensure(change.id).catch((error) =>
      this.deps.logger.warn({ err: error, webhookId: change.id }, "webhook not queued"),
    );
  }

  async reconcile(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    await this.watched.refresh();
    await Promise.all((await this.deps.deliveries.due()).map((id) => this.ensure(id)));
  }

  async close(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.reconcileTimer);
    await this.worker?.close();
    await this.queue.close();
  }

  private async enqueue(webhookId: string) {
    if (this.stopping.signal.aborted) return;
    await this.queue.add(
      PING_JOB,
      { webhookId },
      { jobId: jobId(webhookId), removeOnComplete: true, removeOnFail: true },
    );
  }

  /** Makes sure a job will look at the webhook now: a new one, or the waiting retry brought forward. */
  private async ensure(webhookId: string) {
    if (this.stopping.signal.aborted) return;
    const job = await this.queue.getJob(jobId(webhookId));
    if (!job) return this.enqueue(webhookId);
    if ((await job.getState()) === "delayed") {
      // Promoting a job that just left the delayed set fails harmlessly.
      await job.promote().catch(() => {});
    }
  }

  private async recheck(webhookId: string) {
    if (this.stopping.signal.aborted) return;
    try {
      if ((await this.deps.deliveries.due(new Date(), webhookId)).length > 0) await this.enqueue(webhookId);
    } catch (error) {
      this.deps.logger.warn({ err: error, webhookId }, "webhook recheck failed");
    }
  }

  private async process(job: Job<PingJobData>, token: string | undefined) {
    const nextAt = await this.deps.driver.drive(job.data.webhookId, this.stopping.signal);
    if (nextAt && !this.stopping.signal.aborted) {
      await job.moveToDelayed(Math.max(nextAt.getTime(), Date.now()), token);
      throw new DelayedError();
    }
  }
}
