import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Env } from "@/src/config/env.js";
import { type InvalidationBus, localBus, redisBus } from "@/src/redis/invalidation-bus.js";
import { createRedis } from "@/src/redis/redis.js";
import { memoryRateLimiter, type RateLimiter, redisRateLimiter } from "@/src/services/rate-limiter.js";

/**
 * What differs between one instance and many: with REDIS_URL, cache invalidation and rate-limit
 * counters are shared through Redis; without it, they live in this process.
 */
export type Infrastructure = {
  redis?: Redis;
  bus: InvalidationBus;
  rateLimiter: RateLimiter;
  ping(): Promise<{ redis?: "ok" }>;
  close(): Promise<void>;
};

export function createInfrastructure(env: Env, logger: Logger): Infrastructure {
  if (!env.REDIS_URL) {
    return {
      bus: localBus(),
      rateLimiter: memoryRateLimiter(),
      ping: async () => ({}),
      close: async () => {},
    };
  }
  const redis = createRedis(env.REDIS_URL, "commands", logger, "request");
  const subscriber = createRedis(env.REDIS_URL, "events", logger);
  const bus = redisBus(redis, subscriber, env.REDIS_PREFIX, (error) =>
    logger.warn({ err: error }, "cache invalidation not published: Redis unavailable"),
  );
  return {
    redis,
    bus,
    rateLimiter: redisRateLimiter(redis, env.REDIS_PREFIX, undefined, (error) =>
      logger.warn({ err: error }, "rate limits not enforced: Redis unavailable"),
    ),
    async ping() {
      await redis.ping();
      return { redis: "ok" };
    },
    async close() {
      await bus.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
