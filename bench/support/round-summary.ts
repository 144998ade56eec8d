import { SCENARIO } from "../scenarios.js";
import type { BulkMeasurement } from "./bulk-batches.js";
import { median } from "./stats.js";

/** One scenario measured once (one round). */
export type Measurement = {
  /** Successful requests (or imported rows) per second: errors never inflate it. */
  perSecond: number;
  /** For bulk rows, per batch of 1,000. */
  p50Ms: number;
  p99Ms: number;
  /** Responses that failed the scenario's check, plus connection errors and timeouts. */
  errors: number;
  responses: number;
  /** Error responses by status ("0" for connection errors and timeouts). */
  errorStatuses: Record<string, number>;
  /** The first failing response, cut short, so a broken scenario says why. */
  firstError?: string;
  /** The bulk import that ran beside the measurement, as it measured itself. */
  alongside?: BulkMeasurement;
};

/** A ratio computed within each round (both sides measured minutes apart), then summarised. */
export type RatioSummary = { median: number; min: number; max: number; rounds: number[] };

export type RowDefinition = {
  name: string;
  unit: "req/s" | "rows/s";
  /** The row this one's throughput is divided by in the ratio column. */
  baseline?: string;
  /** The PostGraphile row doing the same work, for the project/PostGraphile column. */
  peer?: string;
};

export type ResultRow = RowDefinition & {
  /** Medians over the rounds. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Summed over the rounds. */
  errors: number;
  responses: number;
  errorStatuses: Record<string, number>;
  firstError?: string;
  ratio?: RatioSummary;
  peerRatio?: RatioSummary;
  /** Bulk imports beside this scenario: the median of their rows per second over the rounds. */
  alongsideRowsPerSecond?: number;
  rounds: Measurement[];
};

/** numerator/denominator in each round where both were measured; undefined when none was. */
export function ratioAcrossRounds(
  numerator: readonly Measurement[] | undefined,
  denominator: readonly Measurement[] | undefined,
): RatioSummary | undefined {
  if (!numerator || !denominator) return undefined;
  const rounds: number[] = [];
  for (let round = 0; round < Math.min(numerator.length, denominator.length); round++) {
    const below = denominator[round].perSecond;
    if (below > 0) rounds.push(numerator[round].perSecond / below);
  }
  if (rounds.length === 0) return undefined;
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
}

/** One row per measured definition, in the definitions' order. */
export function summariseRows(
  definitions: readonly RowDefinition[],
  measured: ReadonlyMap<string, Measurement[]>,
): ResultRow[] {
  return definitions.flatMap((definition): ResultRow[] => {
    const rounds = measured.get(definition.name);
    if (!rounds || rounds.length === 0) return [];
    const errorStatuses: Record<string, number> = {};
    for (const round of rounds) {
      for (const [status, count] of Object.entries(round.errorStatuses)) {
        errorStatuses[status] = (errorStatuses[status] ?? 0) + count;
      }
    }
    const firstError = rounds.find((round) => round.firstError)?.firstError;
    const alongside = rounds.flatMap((round) => (round.alongside ? [round.alongside.rowsPerSecond] : []));
    const ratio = definition.baseline && ratioAcrossRounds(rounds, measured.get(definition.baseline));
    const peerRatio = definition.peer && ratioAcrossRounds(rounds, measured.get(definition.peer));
    return [
      {
        ...definition,
        perSecond: median(rounds.map((round) => round.perSecond)),
        p50Ms: median(rounds.map((round) => round.p50Ms)),
        p99Ms: median(rounds.map((round) => round.p99Ms)),
        errors: rounds.reduce((sum, round) => sum + round.errors, 0),
        responses: rounds.reduce((sum, round) => sum + round.responses, 0),
        errorStatuses,
        ...(firstError && { firstError }),
        ...(ratio && { ratio }),
        ...(peerRatio && { peerRatio }),
        ...(alongside.length > 0 && { alongsideRowsPerSecond: median(alongside) }),
        rounds,
      },
    ];
  });
}

type TargetDefinition = { numerator: string; denominator: string; threshold: number };

// Issue 11's "done when" list (issue 6's targets, the peer's and the write-contention one).
const TARGETS: TargetDefinition[] = [
  { numerator: SCENARIO.graphqlById, denominator: SCENARIO.peerById, threshold: 1.0 },
  { numerator: SCENARIO.graphqlById, denominator: SCENARIO.baselineById, threshold: 0.6 },
  { numerator: SCENARIO.graphqlList, denominator: SCENARIO.peerList, threshold: 1.2 },
  { numerator: SCENARIO.graphqlList, denominator: SCENARIO.baselineList, threshold: 0.5 },
  { numerator: SCENARIO.jsonById, denominator: SCENARIO.graphqlById, threshold: 0.9 },
  { numerator: SCENARIO.jsonList, denominator: SCENARIO.graphqlList, threshold: 0.9 },
  { numerator: SCENARIO.xmlList, denominator: SCENARIO.jsonList, threshold: 0.8 },
  { numerator: SCENARIO.functionConstant, denominator: SCENARIO.baselineById, threshold: 0.3 },
  { numerator: SCENARIO.bulk, denominator: SCENARIO.baselineBulk, threshold: 0.5 },
  { numerator: SCENARIO.writesDuringBulk, denominator: SCENARIO.writesAlone, threshold: 0.5 },
];

export type TargetResult = TargetDefinition & {
  ratio: RatioSummary | null;
  /** SKIP: a side was left out with --only. */
  verdict: "PASS" | "MISS" | "SKIP";
  note?: string;
};

/**
 * A target passes when the median of its per-round ratios is met and neither side had a single
 * error in any round.
 */
export function evaluateTargets(rows: readonly ResultRow[]): TargetResult[] {
  const byName = new Map(rows.map((row) => [row.name, row]));
  return TARGETS.map((target) => {
    const numerator = byName.get(target.numerator);
    const denominator = byName.get(target.denominator);
    if (!numerator || !denominator) {
      return { ...target, ratio: null, verdict: "SKIP", note: "not measured in this run" };
    }
    const ratio = ratioAcrossRounds(numerator.rounds, denominator.rounds) ?? null;
    const failing = [numerator, denominator].filter((row) => row.errors > 0).map((row) => row.name);
    const pass = ratio !== null && ratio.median >= target.threshold && failing.length === 0;
    return {
      ...target,
      ratio,
      verdict: pass ? "PASS" : "MISS",
      ...(failing.length > 0 && { note: `errors in ${failing.join(", ")}` }),
    };
  });
}
