import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { apiKeys, FUNCTION_TYPES, type FunctionRow, functionRuns, functions } from "@/schema/tables/index.js";
import { type Actor, requireAccountManagement } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import { SQL_STATE, sqlState } from "@/src/db/sql-state.js";
import { conflict, notFound } from "@/src/errors/app-error.js";
import type { InvalidationBus } from "@/src/redis/invalidation-bus.js";
import { newId } from "../ids.js";
import { FieldErrors, parseInput, text, withDefault } from "../validation.js";
import { compileCheck } from "./code-check.js";
import { functionOf } from "./function-lookup.js";
import {
  FUNCTION_TOPIC,
  type FunctionChangeListener,
  type FunctionInvoker,
  type FunctionRun,
  type UserFunction,
} from "./function-types.js";

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

/**
 * Functions as admins manage them (SPEC section 6): who may, what is valid at save (the code must
 * compile), and telling listeners (schedules, endpoint caches) about every change.
 */
export class FunctionDefinitionService {
  private readonly listeners: FunctionChangeListener[] = [];

  constructor(
    private readonly db: Db,
    private readonly bus: InvalidationBus,
    private readonly invoker: FunctionInvoker,
  ) {}

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
    return withoutState(await functionOf(this.db, user.organisationId, id));
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
    if (!row) throw new Error("insert returned no function");
    await this.changed(row.id, false);
    return withoutState(row);
  }

  async update(actor: Actor, id: string, input: UpdateFunctionInput): Promise<UserFunction> {
    const user = requireAccountManagement(actor);
    const current = await functionOf(this.db, user.organisationId, id);
    const value = parseInput(updateSchema, input);
    await this.check(user.organisationId, { ...current, ...value }, value, id);
    const [row] = await this.db
      .update(functions)
      .set({ ...value, updatedAt: new Date() })
      .where(and(eq(functions.organisationId, user.organisationId), eq(functions.id, id)))
      .returning()
      .catch(conflictOnUniqueViolation(value.key));
    if (!row) throw notFound("Function");
    await this.changed(id, false);
    return withoutState(row);
  }

  async delete(actor: Actor, id: string): Promise<UserFunction> {
    const user = requireAccountManagement(actor);
    const row = await functionOf(this.db, user.organisationId, id);
    await this.db.delete(functions).where(eq(functions.id, id));
    await this.db.delete(functionRuns).where(eq(functionRuns.functionId, id));
    await this.changed(id, true);
    return withoutState(row);
  }

  /** A MANUAL run that waits for the result, for trying code from the playground. */
  async run(actor: Actor, id: string, input: unknown): Promise<FunctionRun & { result?: unknown }> {
    const user = requireAccountManagement(actor);
    const row = await functionOf(this.db, user.organisationId, id);
    const { run, value } = await this.invoker.run(row, "MANUAL", input);
    return { ...run, result: value };
  }

  // For the schedulers (jobs/): not authorised per actor.

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
