import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { AppError } from "@/src/errors/app-error.js";

export type Limits = { perMinute: number; concurrency: number };

/** Releases a concurrency slot; call exactly once when the request ends. */
export type Release = () => void;

/** Whether counters are shared right now, and how many Redis outages this instance has seen. */
export type RateLimiterStatus = { shared: boolean; outages: number };

/**
 * Per-key limits: calls per minute (a fixed window per UTC minute) and calls in flight.
 * `acquire` throws RATE_LIMITED with Retry-After seconds when either is exhausted. It never waits
 * on anything outside this process.
 */
export type RateLimiter = {
  acquire(keyId: string, limits: Limits): Promise<Release>;
  status(): RateLimiterStatus;
  /** Exchanges the counts of every key touched since the last exchange with the other instances now. */
  sync(): Promise<void>;
  close(): Promise<void>;
};

const secondsToNextMinute = (now: number) => Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));

const rateLimited = (what: string, retryAfter: number) =>
  new AppError("RATE_LIMITED", `Rate limit exceeded: ${what}; retry after ${retryAfter} s`, { retryAfter });

/**
 * One key's counts as this instance sees them: `known` calls of the minute counted by every
 * instance (as of the last sync), `pending` calls admitted here since, `inFlight` here and
 * `othersInFlight` on the other instances (as of the last sync).
 */
type KeyState = { minute: number; known: number; pending: number; inFlight: number; othersInFlight: number };

/** The local counters both limiters admit on; `changed` hears of every admitted call and release. */
function localCounters(changed: (keyId: string) => void = () => {}) {
  const keys = new Map<string, KeyState>();
  let pruned = 0;
  const current = (keyId: string, minute: number): KeyState => {
    let state = keys.get(keyId);
    if (!state) {
      state = { minute, known: 0, pending: 0, inFlight: 0, othersInFlight: 0 };
      keys.set(keyId, state);
    } else if (state.minute !== minute) {
      Object.assign(state, { minute, known: 0, pending: 0 });
    }
    return state;
  };
  return {
    keys,
    acquire(keyId: string, limits: Limits): Release {
      const now = Date.now();
      const state = current(keyId, Math.floor(now / 60_000));
      if (state.known + state.pending >= limits.perMinute) {
        throw rateLimited(`${limits.perMinute} calls per minute`, secondsToNextMinute(now));
      }
      if (state.inFlight + state.othersInFlight >= limits.concurrency) {
        throw rateLimited(`${limits.concurrency} concurrent calls`, 1);
      }
      state.pending++;
      state.inFlight++;
      changed(keyId);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        state.inFlight--;
        changed(keyId);
      };
    },
    /** Drops keys with nothing in flight whose minute is over (a pass per minute at most). */
    prune(minute: number) {
      if (minute === pruned) return;
      pruned = minute;
      for (const [keyId, state] of keys) {
        if (state.minute < minute && state.inFlight === 0) keys.delete(keyId);
      }
    },
  };
}

/** One instance: counters in memory. */
export function memoryRateLimiter(): RateLimiter {
  const counters = localCounters();
  return {
    async acquire(keyId, limits) {
      counters.prune(Math.floor(Date.now() / 60_000));
      return counters.acquire(keyId, limits);
    },
    status: () => ({ shared: false, outages: 0 }),
    // Nothing to exchange: there is no other instance.
    async sync() {},
    async close() {},
  };
}

// One key's sync, atomically: add this instance's new calls to the minute's count, record this
// instance's calls in flight (stamped, so a crashed instance's entry expires on its own), and
// return the minute's count and the calls in flight on the other instances.
const SYNC = `
local window = KEYS[1]
local slots = KEYS[2]
local add = tonumber(ARGV[1])
local instance = ARGV[2]
local inFlight = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local staleBefore = tonumber(ARGV[5])
local total = redis.call('INCRBY', window, add)
redis.call('PEXPIRE', window, 120000)
if inFlight > 0 then
  redis.call('HSET', slots, instance, inFlight .. ':' .. now)
else
  redis.call('HDEL', slots, instance)
end
local others = 0
local entries = redis.call('HGETALL', slots)
for i = 1, #entries, 2 do
  if entries[i] ~= instance then
    local value = entries[i + 1]
    local separator = string.find(value, ':')
    if tonumber(string.sub(value, separator + 1)) < staleBefore then
      redis.call('HDEL', slots, entries[i])
    else
      others = others + tonumber(string.sub(value, 1, separator - 1))
    end
  end
end
if redis.call('HLEN', slots) > 0 then redis.call('PEXPIRE', slots, 600000) end
return {total, others}
`;

export type RedisRateLimiterOptions = {
  /** How often counts are exchanged with Redis while a key is busy (the sharing tolerance). */
  syncEveryMs?: number;
  /** After this long without a sync, a (crashed) instance's calls in flight no longer count. */
  maxRequestMs?: number;
  /** Redis became unreachable: limits are enforced per instance until it is back. */
  onOutage?: (error: unknown) => void;
  /** Redis is reachable again: limits are shared again. */
  onRecovery?: () => void;
};

/**
 * Many instances: every instance admits on its local counters (the request never waits on Redis)
 * and exchanges them with Redis in one batch every `syncEveryMs` while keys are busy, so the
 * limits are shared, within the calls an instance admits in one sync interval. While Redis is
 * unreachable, each instance goes on counting locally: a key gets at most its limit per instance.
 * The calls admitted meanwhile are added to Redis when it returns, also when it lost its data.
 */
export function redisRateLimiter(
  redis: Redis,
  prefix: string,
  options: RedisRateLimiterOptions = {},
): RateLimiter {
  const { syncEveryMs = 200, maxRequestMs = 300_000, onOutage = () => {}, onRecovery = () => {} } = options;
  const instance = randomUUID();
  // Keys changed since the last exchange: while there are any, an exchange is scheduled.
  const dirty = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let syncing: Promise<void> | undefined;
  let shared = true;
  let outages = 0;
  let closed = false;

  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void sync();
    }, syncEveryMs);
    timer.unref();
  };
  const counters = localCounters((keyId) => {
    dirty.add(keyId);
    schedule();
  });

  const exchange = async () => {
    const now = Date.now();
    counters.prune(Math.floor(now / 60_000));
    // Every key used this minute (or still in flight) is exchanged: its own calls go in, the other
    // instances' come back, and the stamp of its calls in flight is their heartbeat.
    const batch = [...counters.keys].map(([keyId, state]) => ({
      keyId,
      state,
      minute: state.minute,
      add: state.pending,
    }));
    dirty.clear();
    if (batch.length === 0) return;
    const pipeline = redis.pipeline();
    for (const { keyId, minute, add, state } of batch) {
      pipeline.eval(
        SYNC,
        2,
        `${prefix}:rl:minute:${keyId}:${minute}`,
        `${prefix}:rl:slots:${keyId}`,
        add,
        instance,
        state.inFlight,
        now,
        now - maxRequestMs,
      );
    }
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (!results || failed) throw failed ?? new Error("Redis returned no results");
    } catch (error) {
      // Nothing was counted in Redis (or not knowably): these keys are sent again next round.
      for (const { keyId } of batch) dirty.add(keyId);
      if (shared) {
        shared = false;
        outages++;
        onOutage(error);
      }
      for (const { state } of batch) state.othersInFlight = 0;
      schedule();
      return;
    }
    if (!shared) {
      shared = true;
      onRecovery();
    }
    batch.forEach(({ state, minute, add }, index) => {
      const [total, others] = (results?.[index]?.[1] ?? [0, 0]) as [number, number];
      state.othersInFlight = others;
      if (state.minute !== minute) return; // a new minute began meanwhile: that count is over
      state.pending -= add;
      state.known = total;
    });
    // Keys with calls in flight keep syncing: their stamps must stay fresh.
    if (dirty.size > 0 || [...counters.keys.values()].some((state) => state.inFlight > 0)) schedule();
  };

  const sync = async (): Promise<void> => {
    // One exchange at a time: a second waits for the first, then runs with what is new.
    while (syncing) await syncing;
    syncing = exchange().finally(() => {
      syncing = undefined;
    });
    await syncing;
  };

  return {
    async acquire(keyId, limits) {
      return counters.acquire(keyId, limits);
    },
    status: () => ({ shared, outages }),
    sync,
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      // Hand in the last counts if Redis is there; never wait for it otherwise.
      if (shared) await sync().catch(() => {});
    },
  };
}
