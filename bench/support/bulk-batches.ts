import { performance } from "node:perf_hooks";
import { newId } from "@/src/services/ids.js";
import type { BenchInfrastructure } from "./bench-infrastructure.js";
import { PROJECT_QUERIES } from "./project-queries.js";
import { percentile } from "./stats.js";
import { type VisitorSeedInput, visitorInput, visitorRow } from "./visitor-data.js";

export const BATCH_SIZE = 1_000;

export type BulkMeasurement = {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** Per batch of BATCH_SIZE rows. */
  p50Ms: number;
  p99Ms: number;
};

/** Where a bulk import writes: an event and the registration types its inputs may use. */
export type BulkTarget = { eventId: string; typeIds: readonly string[] };

/** BATCH_SIZE (or `size`) realistic inputs numbered from `firstSerial`. */
export function batchInputs(firstSerial: number, typeIds: readonly string[], size = BATCH_SIZE) {
  return Array.from({ length: size }, (_, index) => visitorInput(firstSerial + index, typeIds));
}

/** One createVisitors call through the API; throws on any error. Answers in revision order. */
export async function importBatch(
  appUrl: string,
  token: string,
  eventId: string,
  inputs: VisitorSeedInput[],
): Promise<{ id: string; revision: number }[]> {
  const response = await fetch(`${appUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: PROJECT_QUERIES.createVisitors, variables: { eventId, inputs } }),
  });
  const result = (await response.json()) as {
    data?: { createVisitors: { id: string; revision: number }[] };
    errors?: unknown[];
  };
  if (!result.data) {
    throw new Error(`createVisitors failed (${response.status}): ${JSON.stringify(result.errors)}`);
  }
  return result.data.createVisitors;
}

/**
 * The physical limit of one createVisitors call: the revision block taken exactly as the app takes
 * it (one `UPDATE revision_counter ... RETURNING` holding the row lock), one multi-row INSERT of the
 * same columns, in one transaction.
 */
export async function insertBaselineBatch(
  sql: BenchInfrastructure["sql"],
  inputs: VisitorSeedInput[],
  scope: { organisationId: string; eventId: string },
): Promise<void> {
  await sql.begin(async (tx) => {
    const [counter] = await tx<{ value: string }[]>`
      update revision_counter set value = value + ${inputs.length} where id = 1 returning value`;
    const first = Number(counter.value) - inputs.length + 1;
    const now = new Date();
    const rows = inputs.map((input, index) =>
      visitorRow(input, { ...scope, id: newId(), revision: first + index, now }),
    );
    await tx`insert into visitors ${tx(rows)}`;
  });
}

export function bulkMeasurement(rows: number, batchTimesMs: readonly number[]): BulkMeasurement {
  const seconds = batchTimesMs.reduce((sum, time) => sum + time, 0) / 1_000;
  return {
    rows,
    seconds,
    rowsPerSecond: seconds > 0 ? rows / seconds : 0,
    p50Ms: percentile(batchTimesMs, 50),
    p99Ms: percentile(batchTimesMs, 99),
  };
}

/**
 * One round's bulk comparison: batch by batch, alternating, createVisitors x1000 through the API into
 * `app.eventId`, then the same inputs as one multi-row INSERT into `baseline.eventId`, until `seconds`
 * have passed (and at least two batches each), so both sides meet the same machine and table sizes.
 * Each side is timed on its own; nothing runs concurrently.
 */
export async function measureBulkRound(options: {
  appUrl: string;
  token: string;
  sql: BenchInfrastructure["sql"];
  organisationId: string;
  app: BulkTarget;
  baselineEventId: string;
  seconds: number;
  firstSerial: number;
}): Promise<{ app: BulkMeasurement; baseline: BulkMeasurement }> {
  const appTimes: number[] = [];
  const baselineTimes: number[] = [];
  const until = performance.now() + options.seconds * 1_000;
  let serial = options.firstSerial;
  while (appTimes.length < 2 || performance.now() < until) {
    const inputs = batchInputs(serial, options.app.typeIds);
    serial += inputs.length;
    let started = performance.now();
    await importBatch(options.appUrl, options.token, options.app.eventId, inputs);
    appTimes.push(performance.now() - started);
    started = performance.now();
    await insertBaselineBatch(options.sql, inputs, {
      organisationId: options.organisationId,
      eventId: options.baselineEventId,
    });
    baselineTimes.push(performance.now() - started);
  }
  const rows = appTimes.length * BATCH_SIZE;
  return { app: bulkMeasurement(rows, appTimes), baseline: bulkMeasurement(rows, baselineTimes) };
}
