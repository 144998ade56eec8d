import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis connection. For BullMQ (`kind: "queue"`), `maxRetriesPerRequest: null` as it requires:
 * commands wait for a reconnect. On the request path (`kind: "request"`), commands fail within a
 * second instead, so a Redis outage degrades (see rate-limiter.ts) rather than hangs every call.
 */
export function createRedis(
  url: string,
  name: string,
  logger: Logger,
  kind: "queue" | "request" = "queue",
): Redis {
  const redis = new Redis(url, {
    connectionName: `visit-api:${name}`,
    enableReadyCheck: true,
    ...(kind === "queue"
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, commandTimeout: 1_000, enableOfflineQueue: false }),
  });
  redis.on("error", (error) => logger.warn({ err: error, connection: name }, "redis connection error"));
  return redis;
}
