import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Env } from "@/src/config/env.js";
import { type InvalidationBus, localBus, redisBus } from "@/src/redis/invalidation-bus.js";
import { createRedis, redisOutages } from "@/src/redis/redis.js";
import { memoryRateLimiter, type RateLimiter, redisRateLimiter } from "@/src/services/rate-limiter.js";

/** What /readyz reports about Redis: reachable or not, and whether rate limits are shared now. */
export type RedisReport = {
  redis: "ok" | "unreachable";
  rateLimits: "shared" | "per-instance";
  redisOutages: number;
};

/**
 * What differs between one instance and many: with REDIS_URL, cache invalidation and rate-limit
 * counters are shared through Redis; without it, they live in this process. Nothing here waits
 * on Redis on a request's path: while it is down the instance serves, degraded.
 */
export type Infrastructure = {
  redis?: Redis;
  bus: InvalidationBus;
  rateLimiter: RateLimiter;
  /** Within `timeoutMs`; undefined without Redis. */
  redisReport(timeoutMs: number): Promise<RedisReport | undefined>;
  close(): Promise<void>;
};

export function createInfrastructure(env: Env, logger: Logger): Infrastructure {
  if (!env.REDIS_URL) {
    return {
      bus: localBus(),
      rateLimiter: memoryRateLimiter(),
      redisReport: async () => undefined,
      close: async () => {},
    };
  }
  const redis = createRedis(env.REDIS_URL, "commands", logger, "request");
  const subscriber = createRedis(env.REDIS_URL, "events", logger);
  const bus = redisBus(redis, subscriber, env.REDIS_PREFIX, (error) =>
    logger.debug({ err: error }, "cache invalidation not published: Redis unavailable"),
  );
  // The outage itself is logged once by the connections' tracker (redis.ts).
  const rateLimiter = redisRateLimiter(redis, env.REDIS_PREFIX, {
    syncEveryMs: env.RATE_LIMIT_SYNC_MS,
    onOutage: () => logger.info("rate limits counted per instance until Redis is back"),
    onRecovery: () => logger.info("rate limits shared through Redis again"),
  });
  return {
    redis,
    bus,
    rateLimiter,
    async redisReport(timeoutMs) {
      // The request connection fails at once while disconnected; a slow answer counts as none.
      let timer: NodeJS.Timeout | undefined;
      const reachable = await Promise.race([
        redis.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      return {
        redis: reachable ? "ok" : "unreachable",
        // Counts are exchanged only while Redis answers; the limiter notices on its next sync.
        rateLimits: reachable && rateLimiter.status().shared ? "shared" : "per-instance",
        redisOutages: redisOutages(logger).status().outages,
      };
    },
    async close() {
      await rateLimiter.close();
      await bus.close();
      // QUIT needs Redis; while it is down, just drop the connection.
      if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
