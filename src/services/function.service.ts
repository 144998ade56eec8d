import { and, desc, eq, inArray, lt, notInArray, or, sql } from "drizzle-orm";
import { z } from "zod";
import { compileCheck } from "@/jobs/sandbox/compile-check.js";
import { setStateEntry } from "@/jobs/sandbox/function-state.js";
import { STATE_LIMIT_BYTES } from "@/jobs/sandbox/sandbox-config.js";
import type { JsonValue } from "@/jobs/sandbox/sandbox-types.js";
import {
  apiKeys,
  FUNCTION_TYPES,
  type FunctionRow,
  type FunctionRunRow,
  functionRuns,
  functions,
} from "@/schema/tables/index.js";
import { type Actor, requireAccountManagement } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import { SQL_STATE, sqlState } from "@/src/db/sql-state.js";
import { AppError, conflict, notFound } from "@/src/errors/app-error.js";
import type { InvalidationBus } from "@/src/redis/invalidation-bus.js";
import { newId } from "./ids.js";
import { FieldErrors, parseInput, text, withDefault } from "./validation.js";

export type UserFunction = Omit<FunctionRow, "state">;
export type FunctionRun = FunctionRunRow;
export type FunctionTrigger = FunctionRunRow["trigger"];

/** How a MANUAL run reaches the runner (jobs/), which in turn calls back into this service. */
export type FunctionInvoker = {
  run(
    fn: FunctionRow,
    trigger: FunctionTrigger,
    input?: unknown,
  ): Promise<{ run: FunctionRun; value?: unknown }>;
};

/** Told about every change, so schedules follow the database (see jobs/scheduler). */
export type FunctionChangeListener = (change: { id: string; removed: boolean }) => void | Promise<void>;

/** Runs kept per function: the newest `runs`, none older than `days`; pruned every `every` runs. */
export const RUN_RETENTION = { runs: 1_000, days: 30, every: 50 };
const ENDPOINT_CACHE_TTL_MS = 60_000;
export const FUNCTION_TOPIC = "function";
const MAX_CODE_BYTES = 256 * 1024;

const functionFields = {
  name: text.name,
  type: z.enum(FUNCTION_TYPES),
  key: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be 1-64 lowercase letters, digits, '-' or '_'")
    .nullish(),
  code: z
    .string()
    .refine((code) => Buffer.byteLength(code) <= MAX_CODE_BYTES, `must be at most ${MAX_CODE_BYTES} bytes`),
  apiKeyId: z.string().min(1),
  enabled: z.boolean(),
};
const createSchema = z.object({ ...functionFields, enabled: withDefault(functionFields.enabled, true) });
const updateSchema = z.object(functionFields).partial();

export type CreateFunctionInput = z.input<typeof createSchema>;
export type UpdateFunctionInput = z.input<typeof updateSchema>;

const withoutState = ({ state, ...rest }: FunctionRow): UserFunction => rest;

const keyTaken = (key: string | null | undefined) => conflict(`A function with key "${key}" already exists`);

/** A concurrent save of the same key can pass check(); the unique index decides. */
function conflictOnUniqueViolation(key: string | null | undefined) {
  return (error: unknown): never => {
    throw sqlState(error) === SQL_STATE.UNIQUE_VIOLATION ? keyTaken(key) : error;
  };
}

export class FunctionService {
  private invoker?: FunctionInvoker;
  private readonly listeners: FunctionChangeListener[] = [];

  private readonly endpoints = new Map<string, { row: FunctionRow; at: number }>();
  private readonly runsSincePrune = new Map<string, number>();
  // Bumped by every invalidation: a load that began before one must not cache what it read.
  private epoch = 0;

  constructor(
    private readonly db: Db,
    private readonly bus: InvalidationBus,
  ) {
    bus.subscribe(FUNCTION_TOPIC, (id) => this.forget(id));
    bus.onReset(() => {
      this.epoch++;
      this.endpoints.clear();
    });
  }

  setInvoker(invoker: FunctionInvoker): void {
    this.invoker = invoker;
  }

  onChange(listener: FunctionChangeListener): void {
    this.listeners.push(listener);
  }

  async list(actor: Actor): Promise<UserFunction[]> {
    const user = requireAccountManagement(actor);
    const rows = await this.db
      .select()
      .from(functions)
      .where(eq(functions.organisationId, user.organisationId))
      .orderBy(functions.name, functions.id);
    return rows.map(withoutState);
  }

  async get(actor: Actor, id: string): Promise<UserFunction> {
    const user = requireAccountManagement(actor);
    return withoutState(await this.row(user.organisationId, id));
  }

  async create(actor: Actor, input: CreateFunctionInput): Promise<UserFunction> {
    const user = requireAccountManagement(actor);
    const value = parseInput(createSchema, input);
    await this.check(user.organisationId, value);
    const [row] = await this.db
      .insert(functions)
      .values({ id: newId(), organisationId: user.organisationId, ...value, key: value.key ?? null })
      .returning()
      .catch(conflictOnUniqueViolation(value.key));
    await this.changed(row!.id, false);
    return withoutState(row!);
  }

  async update(actor: Actor, id: string, input: UpdateFunctionInput): Promise<UserFunction> {
    const user = requireAccountManagement(actor);
    const current = await this.row(user.organisationId, id);
    const value = parseInput(updateSchema, input);
    await this.check(user.organisationId, { ...current, ...value }, value, id);
    const [row] = await this.db
      .update(functions)
      .set({ ...value, updatedAt: new Date() })
      .where(and(eq(functions.organisationId, user.organisationId), eq(functions.id, id)))
      .returning()
      .catch(conflictOnUniqueViolation(value.key));
    await this.changed(id, false);
    return withoutState(row!);
  }

  async delete(actor: Actor, id: string): Promise<UserFunction> {
    const user = requireAccountManagement(actor);
    const row = await this.row(user.organisationId, id);
    await this.db.delete(functions).where(eq(functions.id, id));
    await this.db.delete(functionRuns).where(eq(functionRuns.functionId, id));
    await this.changed(id, true);
    return withoutState(row);
  }

  /** A MANUAL run that waits for the result, for trying code from the playground. */
  async run(actor: Actor, id: string, input: unknown): Promise<FunctionRun & { result?: unknown }> {
    const user = requireAccountManagement(actor);
    const row = await this.row(user.organisationId, id);
    if (!this.invoker) throw new AppError("SERVICE_UNAVAILABLE", "Functions cannot run on this instance");
    const { run, value } = await this.invoker.run(row, "MANUAL", input);
    return { ...run, result: value };
  }

  /** Runs newest first; `before` is the id of the last run of the previous page. */
  async runs(actor: Actor, functionId: string, first: number, before?: string | null) {
    const user = requireAccountManagement(actor);
    await this.row(user.organisationId, functionId);
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

  // The runner's side (jobs/): not authorised per actor, called for functions already resolved.

  /**
   * An endpoint by its key, cached: every call of an endpoint looks it up. Changes drop the entry
   * here at once and on other instances through the bus (like API keys).
   */
  async byKey(organisationId: string, key: string): Promise<FunctionRow | undefined> {
    const cacheKey = `${organisationId}/${key}`;
    const cached = this.endpoints.get(cacheKey);
    if (cached && Date.now() - cached.at < ENDPOINT_CACHE_TTL_MS) return cached.row;
    const epoch = this.epoch;
    const row = await this.loadByKey(organisationId, key);
    if (row && epoch === this.epoch) this.endpoints.set(cacheKey, { row, at: Date.now() });
    return row;
  }

  private forget(id: string) {
    this.epoch++;
    for (const [cacheKey, entry] of this.endpoints) if (entry.row.id === id) this.endpoints.delete(cacheKey);
  }

  private async loadByKey(organisationId: string, key: string): Promise<FunctionRow | undefined> {
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
    return row;
  }

  async byId(id: string): Promise<FunctionRow | undefined> {
    const [row] = await this.db.select().from(functions).where(eq(functions.id, id));
    return row;
  }

  /** Every enabled background task, across organisations: what the scheduler must have. */
  async enabledTasks(): Promise<FunctionRow[]> {
    return this.db
      .select()
      .from(functions)
      .where(and(eq(functions.type, "BACKGROUND_TASK"), eq(functions.enabled, true)));
  }

  /**
   * A scheduled run is recorded as RUNNING when it starts, so a worker that dies leaves a trace the
   * next tick closes. Endpoint and manual runs are inside a request that fails with them: they are
   * written once, when they end, which saves a statement per call.
   */
  async startRun(fn: FunctionRow, trigger: FunctionTrigger): Promise<FunctionRun> {
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

  async finishRun(
    run: FunctionRun,
    result: Pick<FunctionRun, "status" | "logs" | "error" | "finishedAt" | "durationMs">,
  ) {
    const [row] =
      run.trigger === "SCHEDULE"
        ? await this.db.update(functionRuns).set(result).where(eq(functionRuns.id, run.id)).returning()
        : await this.db
            .insert(functionRuns)
            .values({ ...run, ...result })
            .returning();
    if (result.status === "SUCCEEDED") {
      const [updated] = await this.db
        .update(functions)
        // Concurrent runs finish in any order: the cursor only moves forward.
        .set({
          lastSuccessAt: sql`greatest(${functions.lastSuccessAt}, ${run.startedAt.toISOString()}::timestamptz)`,
        })
        .where(eq(functions.id, run.functionId))
        .returning({ lastSuccessAt: functions.lastSuccessAt });
      for (const entry of this.endpoints.values()) {
        if (entry.row.id === run.functionId)
          entry.row = { ...entry.row, lastSuccessAt: updated?.lastSuccessAt ?? null };
      }
    }
    const seen = this.runsSincePrune.get(run.functionId);
    if (seen === undefined || seen + 1 >= RUN_RETENTION.every) {
      this.runsSincePrune.set(run.functionId, 0);
      await this.pruneRuns(run.functionId);
    } else {
      this.runsSincePrune.set(run.functionId, seen + 1);
    }
    // No row when the function (and its runs) was deleted while this run was going on.
    return row ?? { ...run, ...result };
  }

  /**
   * Closes runs left RUNNING by a worker that died (the caller knows none of those `triggers` can still be running,
   * e.g. it holds the task's lock), so they are recorded rather than silently lost.
   */
  async closeAbandonedRuns(
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
  async closeAllAbandonedRuns(reason: string): Promise<void> {
    const running = await this.db
      .selectDistinct({ functionId: functionRuns.functionId })
      .from(functionRuns)
      .where(eq(functionRuns.status, "RUNNING"));
    for (const { functionId } of running) await this.closeAbandonedRuns(functionId, reason);
  }

  async stateGet(functionId: string, name: string): Promise<unknown> {
    const [row] = await this.db
      .select({ state: functions.state })
      .from(functions)
      .where(eq(functions.id, functionId));
    return row?.state[name] ?? null;
  }

  /** Read-modify-write under a row lock: concurrent endpoint runs cannot lose each other's writes. */
  async stateSet(functionId: string, name: string, value: JsonValue): Promise<void> {
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

  /** Keeps the last RUN_RETENTION.runs runs of a function, none older than RUN_RETENTION.days. */
  private async pruneRuns(functionId: string) {
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

  private async row(organisationId: string, id: string): Promise<FunctionRow> {
    const [row] = await this.db
      .select()
      .from(functions)
      .where(and(eq(functions.organisationId, organisationId), eq(functions.id, id)));
    if (!row) throw notFound("Function");
    return row;
  }

  private async check(
    organisationId: string,
    value: { type: FunctionRow["type"]; key?: string | null; code: string; apiKeyId: string },
    changed: Partial<typeof value> = value,
    selfId?: string,
  ) {
    const errors = new FieldErrors();
    if (value.type === "ENDPOINT" && !value.key) errors.add("key", "is required for an ENDPOINT function");
    if (value.type === "BACKGROUND_TASK" && value.key) errors.add("key", "is only for ENDPOINT functions");
    if (changed.apiKeyId !== undefined) {
      const [key] = await this.db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.organisationId, organisationId), inArray(apiKeys.id, [value.apiKeyId])));
      if (!key) errors.add("apiKeyId", "is not an API key of this organisation");
    }
    if (changed.code !== undefined) {
      const compiled = await compileCheck(value.code);
      if (!compiled.ok) {
        errors.add(
          "code",
          `syntax error at line ${compiled.line}, column ${compiled.column}: ${compiled.message}`,
        );
      }
    }
    errors.throwIfAny();
    if (changed.key && value.key) {
      const [taken] = await this.db
        .select({ id: functions.id })
        .from(functions)
        .where(and(eq(functions.organisationId, organisationId), eq(functions.key, value.key)));
      if (taken && taken.id !== selfId) throw keyTaken(value.key);
    }
  }

  private async changed(id: string, removed: boolean) {
    await this.bus.publish(FUNCTION_TOPIC, id);
    for (const listener of this.listeners) await listener({ id, removed });
  }
}
