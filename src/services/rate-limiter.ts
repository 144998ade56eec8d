import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { AppError } from "@/src/errors/app-error.js";

export type Limits = { perMinute: number; concurrency: number };

/** Releases a concurrency slot; call exactly once when the request ends. */
export type Release = () => void;

/**
 * Per-key limits: calls per minute (a fixed window per UTC minute) and calls in flight.
 * `acquire` throws RATE_LIMITED with Retry-After seconds when either is exhausted.
 */
export type RateLimiter = {
  acquire(keyId: string, limits: Limits): Promise<Release>;
  close(): Promise<void>;
};

const secondsToNextMinute = (now: number) => Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));

const rateLimited = (what: string, retryAfter: number) =>
  new AppError("RATE_LIMITED", `Rate limit exceeded: ${what}; retry after ${retryAfter} s`, { retryAfter });

/** One instance: counters in memory. */
export function memoryRateLimiter(): RateLimiter {
  const windows = new Map<string, { minute: number; count: number }>();
  const inFlight = new Map<string, number>();
  return {
    async acquire(keyId, limits) {
      const now = Date.now();
      const minute = Math.floor(now / 60_000);
      const window = windows.get(keyId);
      const current = window && window.minute === minute ? window : { minute, count: 0 };
      if (current.count >= limits.perMinute) {
        throw rateLimited(`${limits.perMinute} calls per minute`, secondsToNextMinute(now));
      }
      const running = inFlight.get(keyId) ?? 0;
      if (running >= limits.concurrency) throw rateLimited(`${limits.concurrency} concurrent calls`, 1);
      current.count++;
      windows.set(keyId, current);
      inFlight.set(keyId, running + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (inFlight.get(keyId) ?? 1) - 1;
        if (left > 0) inFlight.set(keyId, left);
        else inFlight.delete(keyId);
      };
    },
    async close() {},
  };
}

// Atomically: count the call in this minute's window and take a concurrency slot, or refuse.
// Slots are a sorted set scored by start time, so slots of a crashed instance expire on their own.
const ACQUIRE = `
local window = KEYS[1]
local slots = KEYS[2]
local perMinute = tonumber(ARGV[1])
local concurrency = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local staleBefore = tonumber(ARGV[4])
local slot = ARGV[5]
local count = tonumber(redis.call('GET', window) or '0')
if count >= perMinute then return 1 end
redis.call('ZREMRANGEBYSCORE', slots, '-inf', staleBefore)
if redis.call('ZCARD', slots) >= concurrency then return 2 end
redis.call('INCR', window)
redis.call('PEXPIRE', window, 120000)
redis.call('ZADD', slots, now, slot)
redis.call('PEXPIRE', slots, 600000)
return 0
`;

/** Many instances: counters in Redis, shared by every instance. */
export function redisRateLimiter(
  redis: Redis,
  prefix: string,
  maxRequestMs = 300_000,
  onUnavailable: (error: unknown) => void = () => {},
): RateLimiter {
  return {
    async acquire(keyId, limits) {
      const now = Date.now();
      const minute = Math.floor(now / 60_000);
      const slots = `${prefix}:rl:slots:${keyId}`;
      const slot = randomUUID();
      let result: unknown;
      try {
        result = await redis.eval(
          ACQUIRE,
          2,
          `${prefix}:rl:minute:${keyId}:${minute}`,
          slots,
          limits.perMinute,
          limits.concurrency,
          now,
          now - maxRequestMs,
          slot,
        );
      } catch (error) {
        // Redis is down: serve the call unlimited rather than fail or hang every API-key request.
        onUnavailable(error);
        return () => {};
      }
      if (result === 1) throw rateLimited(`${limits.perMinute} calls per minute`, secondsToNextMinute(now));
      if (result === 2) throw rateLimited(`${limits.concurrency} concurrent calls`, 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        redis.zrem(slots, slot).catch(() => {});
      };
    },
    async close() {},
  };
}
