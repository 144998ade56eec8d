import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";

// Compare-and-delete / compare-and-extend: only the holder's token may release or extend the lock.
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;

export type HeldLock = { release(): Promise<void> };

/**
 * One run of a task at a time across every worker: `SET key token NX PX ttl`. The holder extends
 * it while its run goes on; if the holder dies, the lock frees itself `ttlMs` after its last
 * extension, so a crashed worker delays its task's next run by at most that long.
 */
export class TaskLock {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  /** The lock, or undefined when another run of the task holds it. */
  async acquire(functionId: string): Promise<HeldLock | undefined> {
    const key = `${this.prefix}:fn-lock:${functionId}`;
    const token = randomUUID();
    if ((await this.redis.set(key, token, "PX", this.ttlMs, "NX")) !== "OK") return undefined;
    // A run can wait for a free sandbox thread before its own timeout starts, so the TTL alone
    // could run out under a live run: extend it while the run goes on.
    const timer = setInterval(() => {
      this.redis
        .eval(EXTEND, 1, key, token, this.ttlMs)
        .then((extended) => {
          if (extended === 0) this.logger.warn({ functionId }, "task lock lost during a run");
        })
        .catch((error) => this.logger.warn({ err: error, functionId }, "task lock could not be extended"));
    }, this.ttlMs / 3);
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}
