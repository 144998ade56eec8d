import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis connection. For BullMQ (`kind: "queue"`), `maxRetriesPerRequest: null` as it requires:
 * commands wait for a reconnect. On the request path (`kind: "request"`), commands fail at once
 * while disconnected (no offline queue) and within a second otherwise, so a Redis outage
 * degrades (see rate-limiter.ts) rather than hangs every call. Every connection of a process
 * reports to one outage tracker (`redisOutages`): one warning per outage, not one per reconnect.
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
    connectTimeout: 2_000,
    // Reconnect quickly and keep trying: back within a second of Redis returning.
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    ...(kind === "queue"
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, commandTimeout: 1_000, enableOfflineQueue: false }),
  });
  const outages = redisOutages(logger);
  redis.on("error", (error) => outages.down(name, error));
  redis.on("ready", () => outages.up(name));
  redis.on("end", () => outages.forget(name));
  return redis;
}

export type RedisOutages = {
  down(connection: string, error: unknown): void;
  up(connection: string): void;
  forget(connection: string): void;
  /** Whether some connection is down now, and how many outages this process has seen. */
  status(): { down: boolean; outages: number };
};

const trackers = new WeakMap<Logger, RedisOutages>();

/**
 * The Redis outages of one process (one logger): an outage starts when the first connection
 * fails and ends when every failed one is ready again; each start and end is logged once.
 */
export function redisOutages(logger: Logger): RedisOutages {
  const known = trackers.get(logger);
  if (known) return known;
  const failing = new Set<string>();
  let outages = 0;
  const tracker: RedisOutages = {
    down(connection, error) {
      if (failing.size === 0) {
        outages++;
        logger.warn(
          { err: error, connection },
          "Redis unreachable: running degraded (rate limits per instance, task schedules and webhook pings wait)",
        );
      } else logger.debug({ err: error, connection }, "redis connection error");
      failing.add(connection);
    },
    up(connection) {
      if (!failing.delete(connection) || failing.size > 0) return;
      logger.info("Redis reachable again");
    },
    forget(connection) {
      if (failing.delete(connection) && failing.size === 0) logger.info("Redis connections closed");
    },
    status: () => ({ down: failing.size > 0, outages }),
  };
  trackers.set(logger, tracker);
  return tracker;
}

/** Resolves true once `redis` is ready, false if it is not within `ms` (it keeps trying). */
export function whenReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once("ready", onReady);
  });
}

/**
 * Waits for `work` at most `ms`; past that it goes on in the background (its failure then goes
 * to `onLateError`). For Redis work a caller wants done but must not hang on.
 */
export async function within(work: Promise<void>, ms: number, onLateError: (error: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  try {
    const outcome = await Promise.race([work, late]);
    if (outcome === "late") work.catch(onLateError);
  } finally {
    clearTimeout(timer);
  }
}

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
]);

/**
 * An `error` listener for BullMQ queues and workers: their connection errors during an outage
 * are already reported once by the outage tracker, so they go to debug; anything else is a warning.
 */
export function queueErrorLogger(logger: Logger, message: string): (error: Error) => void {
  return (error) => {
    const code = (error as { code?: unknown }).code;
    const connection =
      (typeof code === "string" && CONNECTION_ERRORS.has(code)) ||
      /Connection is closed|Stream isn't writeable|connect ETIMEDOUT/.test(error.message);
    if (connection) logger.debug({ err: error }, message);
    else logger.warn({ err: error }, message);
  };
}
