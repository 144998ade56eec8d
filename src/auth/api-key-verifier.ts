import { eq, type SQL } from "drizzle-orm";
import { type ApiKeyRow, apiKeys } from "@/schema/tables/index.js";
import type { Actor } from "@/src/auth/actor.js";
import { isWellFormedApiKey } from "@/src/auth/api-key-format.js";
import { IpAllowList } from "@/src/auth/ip-allow-list.js";
import { sha256 } from "@/src/auth/token.js";
import type { Db } from "@/src/db/database.js";
import { unauthenticated } from "@/src/errors/app-error.js";
import type { InvalidationBus } from "@/src/redis/invalidation-bus.js";

export const API_KEY_TOPIC = "api-key";

type CachedKey = { row: ApiKeyRow; allowList: IpAllowList; cachedAt: number };

export type VerifierOptions = {
  cacheTtlMs: number;
  defaults: { perMinute: number; concurrency: number };
};

/**
 * Verifies API key secrets for every surface. Verified keys are cached in-process, so a busy key
 * costs no database read; a change to a key drops it here at once and, through the bus, on every
 * other instance. State, expiry and the IP allow-list are checked on every request.
 */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastUsed = new Map<string, Date>();
  private readonly lastWritten = new Map<string, number>();
  // Bumped by every invalidation: a load that began before one must not cache what it read.
  private epoch = 0;

  constructor(
    private readonly db: Db,
    private readonly bus: InvalidationBus,
    private readonly options: VerifierOptions,
  ) {
    bus.subscribe(API_KEY_TOPIC, (keyId) => this.forget(keyId));
    bus.onReset(() => {
      this.epoch++;
      this.cache.clear();
    });
  }

  async verify(secret: string, ip: string): Promise<Actor> {
    if (!isWellFormedApiKey(secret)) {
      throw unauthenticated(
        "MALFORMED_CREDENTIALS",
        "This is not an API key of this service (wrong format or checksum)",
      );
    }
    const hash = sha256(secret);
    const key = this.fresh(this.cache.get(hash)) ?? (await this.load(eq(apiKeys.secretHash, hash)));
    if (!key) throw unauthenticated("UNKNOWN_KEY", "Unknown API key");
    if (!key.allowList.allows(ip)) {
      this.checkUsable(key.row);
      throw unauthenticated("IP_NOT_ALLOWED", `This API key may not be used from ${ip}`);
    }
    return this.actorOf(key.row);
  }

  /**
   * The actor of a key known by id, for calls made in-process on its behalf (a function's
   * `visit.graphql`): state and expiry apply; there is no caller IP to check.
   */
  async actorForKey(id: string): Promise<Actor> {
    const cached = this.fresh([...this.cache.values()].find((entry) => entry.row.id === id));
    const key = cached ?? (await this.load(eq(apiKeys.id, id)));
    if (!key) throw unauthenticated("UNKNOWN_KEY", "The function's API key no longer exists");
    return this.actorOf(key.row);
  }

  private checkUsable(row: ApiKeyRow) {
    if (row.state !== "ACTIVE") throw unauthenticated("KEY_DISABLED", "This API key is disabled");
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
      throw unauthenticated("KEY_EXPIRED", "This API key has expired");
    }
  }

  private actorOf(row: ApiKeyRow): Actor {
    this.checkUsable(row);
    this.lastUsed.set(row.id, new Date());
    return {
      kind: "apiKey",
      organisationId: row.organisationId,
      apiKeyId: row.id,
      eventIds: row.eventIds,
      canWrite: row.canWrite,
      limits: {
        perMinute: row.rateLimitPerMinute ?? this.options.defaults.perMinute,
        concurrency: row.concurrencyLimit ?? this.options.defaults.concurrency,
      },
    };
  }

  /** Announces a change to a key: dropped here now, elsewhere when the message arrives. */
  async invalidate(keyId: string): Promise<void> {
    this.forget(keyId);
    await this.bus.publish(API_KEY_TOPIC, keyId);
  }

  /** Keys used since they were last written, if that was over a minute ago: lastUsedAt costs one write a minute at most. */
  takeLastUsed(now = Date.now()): Map<string, Date> {
    const due = new Map<string, Date>();
    for (const [id, at] of this.lastUsed) {
      if (now - (this.lastWritten.get(id) ?? 0) < 60_000) continue;
      due.set(id, at);
      this.lastWritten.set(id, now);
      this.lastUsed.delete(id);
    }
    return due;
  }

  private fresh(entry: CachedKey | undefined): CachedKey | undefined {
    return entry && Date.now() - entry.cachedAt < this.options.cacheTtlMs ? entry : undefined;
  }

  private forget(keyId: string) {
    this.epoch++;
    for (const [hash, entry] of this.cache) if (entry.row.id === keyId) this.cache.delete(hash);
  }

  private async load(where: SQL): Promise<CachedKey | undefined> {
    const epoch = this.epoch;
    const [row] = await this.db.select().from(apiKeys).where(where);
    if (!row) return undefined;
    const entry = { row, allowList: new IpAllowList(row.allowedIps), cachedAt: Date.now() };
    if (epoch === this.epoch) this.cache.set(row.secretHash, entry);
    return entry;
  }
}
