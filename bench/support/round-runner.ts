import { SCENARIO, type Scenario } from "../scenarios.js";
import type { SeedResult } from "../seed.js";
import type { BenchInfrastructure } from "./bench-infrastructure.js";
import { BATCH_SIZE, type BulkMeasurement, measureBulkRound } from "./bulk-batches.js";
import { startBulkImportLoop } from "./bulk-import-loop.js";
import { measureLoad } from "./load-runner.js";
import { must } from "./must.js";
import type { Measurement } from "./round-summary.js";

/** One thing measured once per round; the bulk comparison yields two rows at once. */
export type Step = {
  names: string[];
  run(context: { round: number; warmUp: boolean }): Promise<Map<string, Measurement>>;
};

export type StepContext = {
  urls: Record<Scenario["server"], string>;
  seed: SeedResult;
  adminToken: string;
  infrastructure: BenchInfrastructure;
  load: { connections: number; seconds: number; warmupSeconds: number };
  log(line: string): void;
};

// Far above the seed's and the write scenarios' serials; one block per round.
const BULK_SERIAL_BASE = 2_000_000_000;
const ALONGSIDE_SERIAL_BASE = 3_000_000_000;
const SERIALS_PER_ROUND = 10_000_000;

/** An autocannon scenario, warmed up in the first round, with the bulk loop beside it if it asks. */
export function loadStep(scenario: Scenario, context: StepContext): Step {
  const url = context.urls[scenario.server];
  const { connections, seconds, warmupSeconds } = context.load;
  const measure = async (warmUp: boolean) => {
    if (warmUp) await measureLoad(url, scenario, { connections, seconds: warmupSeconds });
    return measureLoad(url, scenario, { connections, seconds });
  };
  return {
    names: [scenario.name],
    async run({ round, warmUp }) {
      let measurement: Measurement;
      if (scenario.alongsideBulkImport) {
        const loop = await startBulkImportLoop({
          appUrl: context.urls.app,
          token: context.adminToken,
          target: context.seed.writeEvents.bulk,
          firstSerial: ALONGSIDE_SERIAL_BASE + round * SERIALS_PER_ROUND,
        });
        const measured = await measure(warmUp).catch(async (error: unknown) => {
          await loop.stop().catch(() => {});
          throw error;
        });
        measurement = { ...measured, alongside: await loop.stop() };
      } else {
        measurement = await measure(warmUp);
      }
      if (scenario.writes) await emptyWriteEvents(context);
      return new Map([[scenario.name, measurement]]);
    },
  };
}

/** createVisitors x1000 against the multi-row INSERT, alternating batch by batch. */
export function bulkStep(context: StepContext): Step {
  const { seed } = context;
  return {
    names: [SCENARIO.bulk, SCENARIO.baselineBulk],
    async run({ round }) {
      const measured = await measureBulkRound({
        appUrl: context.urls.app,
        token: context.adminToken,
        sql: context.infrastructure.sql,
        organisationId: seed.organisationId,
        app: seed.writeEvents.bulk,
        baselineEventId: seed.writeEvents.bulkBaselineId,
        seconds: context.load.seconds,
        firstSerial: BULK_SERIAL_BASE + round * SERIALS_PER_ROUND,
      });
      await emptyWriteEvents(context);
      return new Map([
        [SCENARIO.bulk, fromBulk(measured.app)],
        [SCENARIO.baselineBulk, fromBulk(measured.baseline)],
      ]);
    },
  };
}

const fromBulk = (bulk: BulkMeasurement): Measurement => ({
  perSecond: bulk.rowsPerSecond,
  p50Ms: bulk.p50Ms,
  p99Ms: bulk.p99Ms,
  errors: 0,
  responses: bulk.rows / BATCH_SIZE,
  errorStatuses: {},
});

/**
 * Removes what the write scenarios created, so every round (and every read scenario after them)
 * meets the seeded table, and vacuums so dead rows and stale statistics do not carry over.
 */
async function emptyWriteEvents({ infrastructure, seed }: StepContext): Promise<void> {
  const { single, bulk, bulkBaselineId } = seed.writeEvents;
  const events = [single.eventId, bulk.eventId, bulkBaselineId];
  await infrastructure.sql`delete from visitors where event_id = any(${events}::text[])`;
  await infrastructure.sql.unsafe("vacuum analyze visitors");
}

/**
 * Interleaved rounds: every step once per round, so each ratio compares measurements taken minutes
 * apart on a noisy machine. Odd rounds run the steps forward, even rounds backward, so a slow
 * drift of the machine does not always favour the same side of a pair.
 */
export async function runRounds(
  steps: readonly Step[],
  rounds: number,
  log: (line: string) => void,
): Promise<Map<string, Measurement[]>> {
  const measured = new Map<string, Measurement[]>(
    steps.flatMap((step) => step.names.map((name) => [name, []])),
  );
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? steps : [...steps].reverse();
    for (const step of order) {
      const results = await step.run({ round, warmUp: round === 1 });
      for (const [name, measurement] of results) {
        must(measured.get(name), "measured.get(name)").push(measurement);
        const alongside = measurement.alongside
          ? `, beside ${measurement.alongside.rowsPerSecond.toFixed(0)} imported rows/s`
          : "";
        log(
          `round ${round}/${rounds}  ${name}: ${measurement.perSecond.toFixed(0)}/s, ` +
            `p99 ${measurement.p99Ms.toFixed(1)} ms, ${measurement.errors} errors${alongside}`,
        );
      }
    }
  }
  return measured;
}
