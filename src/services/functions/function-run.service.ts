import { and, desc, eq, inArray, lt, notInArray, or, sql } from "drizzle-orm";
import { z } from "zod";
import { type FunctionRow, functionRuns, functions } from "@/schema/tables/index.js";
import { type Actor, requireAccountManagement } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import { newId } from "../ids.js";
import { parseInput } from "../validation.js";
import { functionOf } from "./function-lookup.js";
import type { FunctionRun, FunctionTrigger } from "./function-types.js";

/** Runs kept per function: the newest `runs`, none older than `days`; pruned every `every` runs. */
export const RUN_RETENTION = { runs: 1_000, days: 30, every: 50 };

export type RunResultFields = Pick<FunctionRun, "status" | "logs" | "error" | "finishedAt" | "durationMs">;

/** Told when a run succeeded, with the function's new lastSuccessAt (endpoint caches keep it). */
export type RunSucceededListener = (functionId: string, lastSuccessAt: Date | null) => void;

/** The record of function runs: start, finish, retention, recovery of runs whose worker died, history. */
export class FunctionRunService {
  private readonly runsSincePrune = new Map<string, number>();
  private readonly succeededListeners: RunSucceededListener[] = [];

  constructor(private readonly db: Db) {}

  onSucceeded(listener: RunSucceededListener): void {
    this.succeededListeners.push(listener);
  }

  /** Runs newest first; `before` is the id of the last run of the previous page. */
  async runs(actor: Actor, functionId: string, first: number, before?: string | null) {
    const user = requireAccountManagement(actor);
    await functionOf(this.db, user.organisationId, functionId);
    const size = parseInput(z.number().int().min(1).max(100), first, "first");
    const cursor = before
      ? (
          await this.db
            .select()
            .from(functionRuns)
            .where(and(eq(functionRuns.functionId, functionId), eq(functionRuns.id, before)))
        )[0]
      : undefined;
    // Retention prunes the oldest runs first: when the cursor's run is gone, so is everything
    // older. (Starting over from the newest instead would send a paging client round in circles.)
    if (before && !cursor) return { nodes: [], hasNextPage: false };
    const rows = await this.db
      .select()
      .from(functionRuns)
      .where(
        and(
          eq(functionRuns.functionId, functionId),
          cursor
            ? or(
                lt(functionRuns.startedAt, cursor.startedAt),
                and(eq(functionRuns.startedAt, cursor.startedAt), lt(functionRuns.id, cursor.id)),
              )
            : undefined,
        ),
      )
      .orderBy(desc(functionRuns.startedAt), desc(functionRuns.id))
      .limit(size + 1);
    return { nodes: rows.slice(0, size), hasNextPage: rows.length > size };
  }

  /**
   * A scheduled run is recorded as RUNNING when it starts, so a worker that dies leaves a trace the
   * next tick closes. Endpoint and manual runs are inside a request that fails with them: they are
   * written once, when they end, which saves a statement per call.
   */
  async start(fn: FunctionRow, trigger: FunctionTrigger): Promise<FunctionRun> {
    const run: FunctionRun = {
      id: newId(),
      organisationId: fn.organisationId,
      functionId: fn.id,
      trigger,
      status: "RUNNING",
      startedAt: new Date(),
      finishedAt: null,
      durationMs: null,
      logs: "",
      error: null,
    };
    if (trigger === "SCHEDULE") await this.db.insert(functionRuns).values(run);
    return run;
  }

  async finish(run: FunctionRun, result: RunResultFields): Promise<FunctionRun> {
    const finished = { ...run, ...result };
    let row: FunctionRun | undefined = finished;
    if (run.trigger === "SCHEDULE") {
      [row] = await this.db.update(functionRuns).set(result).where(eq(functionRuns.id, run.id)).returning();
    }
    const record =
      run.trigger === "SCHEDULE"
        ? undefined
        : this.db.insert(functionRuns).values(finished).returning({ id: functionRuns.id });
    if (result.status === "SUCCEEDED") {
      // Concurrent runs finish in any order: the cursor only moves forward. An endpoint or manual
      // run's record is written by the same statement, in one round trip.
      const [updated] = await (record ? this.db.with(this.db.$with("recorded").as(record)) : this.db)
        .update(functions)
        .set({
          lastSuccessAt: sql`greatest(${functions.lastSuccessAt}, ${run.startedAt.toISOString()}::timestamptz)`,
        })
        .where(eq(functions.id, run.functionId))
        .returning({ lastSuccessAt: functions.lastSuccessAt });
      for (const listener of this.succeededListeners)
        listener(run.functionId, updated?.lastSuccessAt ?? null);
    } else if (record) {
      await record;
    }
    const seen = this.runsSincePrune.get(run.functionId);
    if (seen === undefined || seen + 1 >= RUN_RETENTION.every) {
      this.runsSincePrune.set(run.functionId, 0);
      await this.prune(run.functionId);
    } else {
      this.runsSincePrune.set(run.functionId, seen + 1);
    }
    // No row when the function (and its runs) was deleted while this run was going on.
    return row ?? finished;
  }

  /**
   * Closes runs left RUNNING by a worker that died (the caller knows none of those `triggers` can
   * still be running, e.g. it holds the task's lock), so they are recorded rather than silently lost.
   */
  async closeAbandoned(
    functionId: string,
    reason: string,
    triggers?: readonly FunctionTrigger[],
  ): Promise<number> {
    const now = new Date();
    const closed = await this.db
      .update(functionRuns)
      .set({
        status: "FAILED",
        error: reason,
        finishedAt: now,
        durationMs: sql`(extract(epoch from (${now.toISOString()}::timestamptz - ${functionRuns.startedAt})) * 1000)::int`,
      })
      .where(
        and(
          eq(functionRuns.functionId, functionId),
          eq(functionRuns.status, "RUNNING"),
          triggers ? inArray(functionRuns.trigger, [...triggers]) : undefined,
        ),
      )
      .returning({ id: functionRuns.id });
    return closed.length;
  }

  /** Closes every RUNNING run; only for a single instance starting up (nothing else can be running). */
  async closeAllAbandoned(reason: string): Promise<void> {
    const running = await this.db
      .selectDistinct({ functionId: functionRuns.functionId })
      .from(functionRuns)
      .where(eq(functionRuns.status, "RUNNING"));
    for (const { functionId } of running) await this.closeAbandoned(functionId, reason);
  }

  /** Keeps the last RUN_RETENTION.runs runs of a function, none older than RUN_RETENTION.days. */
  private async prune(functionId: string) {
    const keep = this.db
      .select({ id: functionRuns.id })
      .from(functionRuns)
      .where(eq(functionRuns.functionId, functionId))
      .orderBy(desc(functionRuns.startedAt))
      .limit(RUN_RETENTION.runs);
    await this.db
      .delete(functionRuns)
      .where(
        and(
          eq(functionRuns.functionId, functionId),
          or(
            lt(functionRuns.startedAt, new Date(Date.now() - RUN_RETENTION.days * 86_400_000)),
            notInArray(functionRuns.id, keep),
          ),
        ),
      );
  }
}
