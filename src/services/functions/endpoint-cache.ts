import { and, eq } from "drizzle-orm";
import { type FunctionRow, functions } from "@/schema/tables/index.js";
import type { Db } from "@/src/db/database.js";
import type { InvalidationBus } from "@/src/redis/invalidation-bus.js";
import { FUNCTION_TOPIC } from "./function-types.js";

const TTL_MS = 60_000;

/**
 * Endpoint functions by key: every call of an endpoint looks one up, so they are cached. A change
 * drops the entry here at once and on other instances through the bus (like API keys).
 */
export class EndpointCache {
  private readonly entries = new Map<string, { row: FunctionRow; at: number }>();
  // Bumped by every invalidation: a load that began before one must not cache what it read.
  private epoch = 0;

  constructor(
    private readonly db: Db,
    bus: InvalidationBus,
  ) {
    bus.subscribe(FUNCTION_TOPIC, (id) => this.forget(id));
    bus.onReset(() => {
      this.epoch++;
      this.entries.clear();
    });
  }

  async byKey(organisationId: string, key: string): Promise<FunctionRow | undefined> {
    const cacheKey = `${organisationId}/${key}`;
    const cached = this.entries.get(cacheKey);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.row;
    const epoch = this.epoch;
    const [row] = await this.db
      .select()
      .from(functions)
      .where(
        and(
          eq(functions.organisationId, organisationId),
          eq(functions.key, key),
          eq(functions.type, "ENDPOINT"),
        ),
      );
    if (row && epoch === this.epoch) this.entries.set(cacheKey, { row, at: Date.now() });
    return row;
  }

  /** A run succeeded: the cached row keeps the function's new lastSuccessAt (ctx.lastSuccessAt). */
  recordSuccess(functionId: string, lastSuccessAt: Date | null): void {
    for (const entry of this.entries.values()) {
      if (entry.row.id === functionId) entry.row = { ...entry.row, lastSuccessAt };
    }
  }

  private forget(id: string) {
    this.epoch++;
    for (const [cacheKey, entry] of this.entries) if (entry.row.id === id) this.entries.delete(cacheKey);
  }
}
