import type { FunctionRow, FunctionRunRow } from "@/schema/tables/index.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A function as the API shows it: its state is the function's own, never listed. */
export type UserFunction = Omit<FunctionRow, "state">;
export type FunctionRun = FunctionRunRow;
export type FunctionTrigger = FunctionRunRow["trigger"];

/**
 * Runs a function to its end (jobs/ implements it; the composition root hands it in). A failing
 * function is a result (the run's status), never a thrown error.
 */
export type FunctionInvoker = {
  run(
    fn: FunctionRow,
    trigger: FunctionTrigger,
    input?: unknown,
  ): Promise<{ run: FunctionRun; value?: unknown }>;
};

/** Told about every change, so schedules follow the database (see jobs/scheduler). */
export type FunctionChangeListener = (change: { id: string; removed: boolean }) => void | Promise<void>;

/** The invalidation topic of function changes (endpoint caches of every instance listen). */
export const FUNCTION_TOPIC = "function";
