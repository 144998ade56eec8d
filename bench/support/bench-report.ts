import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { SCENARIO } from "../scenarios.js";
import type { LoadMeasurement } from "./load-runner.js";
import { textTable } from "./text-table.js";

export type MachineInfo = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1, 5 and 15 minute load averages at the start: a busy machine makes every number suspect. */
  loadAverage: number[];
};

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? "unknown",
    cores: cores.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

export type ResultRow = {
  name: string;
  unit: "req/s" | "rows/s";
  /** Median over the runs of successful requests (or imported rows) per second. */
  perSecond: number;
  /** Medians over the runs; for bulk rows, per batch of 1,000. */
  p50Ms: number;
  p99Ms: number;
  /** Summed over the measured runs. */
  errors: number;
  responses: number;
  baseline?: string;
  ratio?: number;
  errorStatuses?: Record<string, number>;
  firstError?: string;
  runs?: LoadMeasurement[];
};

export const BULK = {
  app: "bulk: createVisitors x1000 (rows/s)",
  baseline: "baseline: multi-row INSERT x1000 (rows/s)",
} as const;

type TargetDefinition = { numerator: string; denominator: string; threshold: number };

// Issue 6, point 4.
const TARGETS: TargetDefinition[] = [
  { numerator: SCENARIO.graphqlById, denominator: SCENARIO.baselineById, threshold: 0.6 },
  { numerator: SCENARIO.graphqlList, denominator: SCENARIO.baselineList, threshold: 0.5 },
  { numerator: SCENARIO.jsonById, denominator: SCENARIO.graphqlById, threshold: 0.9 },
  { numerator: SCENARIO.jsonList, denominator: SCENARIO.graphqlList, threshold: 0.9 },
  { numerator: SCENARIO.xmlList, denominator: SCENARIO.jsonList, threshold: 0.8 },
  { numerator: SCENARIO.functionConstant, denominator: SCENARIO.baselineById, threshold: 0.3 },
  { numerator: BULK.app, denominator: BULK.baseline, threshold: 0.5 },
];

export type TargetResult = TargetDefinition & {
  ratio: number | null;
  /** SKIP: a side was left out with --only. */
  verdict: "PASS" | "MISS" | "SKIP";
  note?: string;
};

/** Fills each row's ratio to its baseline. */
export function withRatios(rows: ResultRow[]): ResultRow[] {
  const byName = new Map(rows.map((row) => [row.name, row]));
  return rows.map((row) => {
    const baseline = row.baseline ? byName.get(row.baseline) : undefined;
    return baseline && baseline.perSecond > 0 ? { ...row, ratio: row.perSecond / baseline.perSecond } : row;
  });
}

/** A target passes when its ratio is met and neither side had a single error. */
export function evaluateTargets(rows: ResultRow[]): TargetResult[] {
  const byName = new Map(rows.map((row) => [row.name, row]));
  return TARGETS.map((target) => {
    const numerator = byName.get(target.numerator);
    const denominator = byName.get(target.denominator);
    if (!numerator || !denominator) {
      return { ...target, ratio: null, verdict: "SKIP", note: "not measured in this run" };
    }
    const ratio = denominator.perSecond > 0 ? numerator.perSecond / denominator.perSecond : null;
    const failing = [numerator, denominator].filter((row) => row.errors > 0).map((row) => row.name);
    const pass = ratio !== null && ratio >= target.threshold && failing.length === 0;
    return {
      ...target,
      ratio,
      verdict: pass ? "PASS" : "MISS",
      ...(failing.length > 0 && { note: `errors in ${failing.join(", ")}` }),
    };
  });
}

const fixed = (value: number, digits: number) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function errorsCell(row: ResultRow): string {
  if (row.errors === 0) return "0";
  const statuses = Object.entries(row.errorStatuses ?? {})
    .map(([status, count]) => `${status === "0" ? "conn" : status}:${count}`)
    .join(" ");
  return `${row.errors}/${row.responses} (${statuses})`;
}

export function formatRows(rows: ResultRow[]): string {
  return textTable(
    ["scenario", "req/s", "p50 ms", "p99 ms", "errors", "ratio"],
    rows.map((row) => [
      row.name,
      fixed(row.perSecond, row.perSecond < 100 ? 1 : 0),
      fixed(row.p50Ms, 1),
      fixed(row.p99Ms, 1),
      errorsCell(row),
      row.ratio === undefined ? "" : fixed(row.ratio, 2),
    ]),
    new Set([1, 2, 3, 4, 5]),
  );
}

export function formatTargets(targets: TargetResult[]): string {
  return textTable(
    ["target", "ratio", "needed", "verdict"],
    targets.map((target) => [
      `${target.numerator} / ${target.denominator}`,
      target.ratio === null ? "-" : fixed(target.ratio, 2),
      `>= ${fixed(target.threshold, 1)}`,
      target.note ? `${target.verdict} (${target.note})` : target.verdict,
    ]),
    new Set([1, 2]),
  );
}

export function formatMachine(date: Date, machine: MachineInfo): string {
  return (
    `${date.toISOString()}  ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ` +
    `node ${machine.node}, ${machine.os}, load average ${machine.loadAverage.join(" / ")}`
  );
}

/** Rows whose errors deserve a line of their own under the table: what the first failure said. */
export function formatFirstErrors(rows: ResultRow[]): string {
  return rows
    .filter((row) => row.firstError)
    .map((row) => `  ${row.name}: ${row.firstError!.replace(/\s+/g, " ")}`)
    .join("\n");
}
