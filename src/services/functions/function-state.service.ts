import { eq } from "drizzle-orm";
import { functions } from "@/schema/tables/index.js";
import type { Db } from "@/src/db/database.js";
import type { JsonValue } from "./function-types.js";
import { STATE_LIMIT_BYTES, setStateEntry } from "./state-size.js";

/** `state.get/set` of functions: one small JSON object per function, kept between runs (SPEC 6). */
export class FunctionStateService {
  constructor(private readonly db: Db) {}

  async get(functionId: string, name: string): Promise<unknown> {
    const [row] = await this.db
      .select({ state: functions.state })
      .from(functions)
      .where(eq(functions.id, functionId));
    return row?.state[name] ?? null;
  }

  /** Read-modify-write under a row lock: concurrent endpoint runs cannot lose each other's writes. */
  async set(functionId: string, name: string, value: JsonValue): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ state: functions.state })
        .from(functions)
        .where(eq(functions.id, functionId))
        .for("update");
      if (!row) return;
      const next = setStateEntry(row.state as Record<string, JsonValue>, name, value, STATE_LIMIT_BYTES);
      await tx.update(functions).set({ state: next }).where(eq(functions.id, functionId));
    });
  }
}
