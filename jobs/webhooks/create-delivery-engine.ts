import type { Logger } from "pino";
import type { Env } from "@/src/config/env.js";
import type { OutboundPolicy } from "@/src/net/outbound-address.js";
import { createRedis, whenReady, within } from "@/src/redis/redis.js";
import type { WebhookDeliveries } from "@/src/services/webhooks/webhook-deliveries.js";
import { BullMqDeliveryEngine } from "./bullmq-engine.js";
import type { DeliveryEngine } from "./delivery-engine.js";
import { InProcessDeliveryEngine } from "./in-process-engine.js";
import { PingDriver } from "./ping-driver.js";
import { createPingSender } from "./ping-sender.js";

// How long a start waits for Redis before serving without it, and a shutdown for the queue and
// worker while Redis is down.
const START_WAIT_MS = 2_000;
const CLOSE_WITHOUT_REDIS_MS = 3_000;

export type DeliveryEngineDeps = {
  env: Pick<Env, "REDIS_URL" | "REDIS_PREFIX" | "WEBHOOK_TIMEOUT_MS" | "WEBHOOK_RECONCILE_MS">;
  logger: Logger;
  deliveries: WebhookDeliveries;
  outbound: OutboundPolicy;
  /** With Redis: whether this process also sends pings, or only enqueues them. */
  runWorker: boolean;
};

/**
 * BullMQ on Redis when REDIS_URL is set (sending in this process unless `runWorker` is false);
 * timers in this process otherwise. Either way it reconciles once at start, so pings left due by
 * a crash or a restart go out without waiting for a new write.
 */
export async function createDeliveryEngine(deps: DeliveryEngineDeps): Promise<DeliveryEngine> {
  const { env, logger, deliveries } = deps;
  const send = createPingSender({ outbound: deps.outbound, timeoutMs: env.WEBHOOK_TIMEOUT_MS });
  const driver = new PingDriver(deliveries, send, logger);
  if (!env.REDIS_URL) {
    const engine = new InProcessDeliveryEngine({
      deliveries,
      driver,
      reconcileMs: env.WEBHOOK_RECONCILE_MS,
      logger,
    });
    await engine.reconcile();
    return engine;
  }
  // A connection of its own for the queue and worker, closed with them.
  const connection = createRedis(env.REDIS_URL, "webhooks", logger);
  const engine = new BullMqDeliveryEngine({
    connection,
    prefix: env.REDIS_PREFIX,
    deliveries,
    driver,
    reconcileMs: env.WEBHOOK_RECONCILE_MS,
    runWorker: deps.runWorker,
    logger,
  });
  const close = async () => {
    if (connection.status === "ready") {
      await engine.close();
      await connection.quit().catch(() => connection.disconnect());
      return;
    }
    // Without Redis nothing can be handed back to it: drop the connection so nothing waits for it.
    connection.disconnect();
    await within(engine.close(), CLOSE_WITHOUT_REDIS_MS, () => {});
  };
  if (await whenReady(connection, START_WAIT_MS)) {
    try {
      await engine.reconcile();
    } catch (error) {
      await close();
      throw error;
    }
  } else {
    // The start does not wait for Redis: the periodic reconcile catches up once it is back.
    logger.warn("webhook pings not reconciled at start: Redis unreachable");
  }
  return {
    feedChanged: (change) => engine.feedChanged(change),
    webhookChanged: (change) => engine.webhookChanged(change),
    reconcile: () => engine.reconcile(),
    close,
  };
}
