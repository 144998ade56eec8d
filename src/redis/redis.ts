import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis connection. `maxRetriesPerRequest: null` is what BullMQ workers need, and it makes
 * commands wait for a reconnect instead of failing during a short Redis restart.
 */
export function createRedis(url: string, name: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: `visit-api:${name}`,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  });
  redis.on("error", (error) => logger.warn({ err: error, connection: name }, "redis connection error"));
  return redis;
}
