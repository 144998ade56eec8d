import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { must } from "./must.js";
import type { RatioSummary, ResultRow, TargetResult } from "./round-summary.js";
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

const fixed = (value: number, digits: number) =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function errorsCell(row: ResultRow): string {
  if (row.errors === 0) return "0";
  const statuses = Object.entries(row.errorStatuses ?? {})
    .map(([status, count]) => `${status === "0" ? "conn" : status}:${count}`)
    .join(" ");
  return `${row.errors}/${row.responses} (${statuses})`;
}

/** "0.31 (0.29-0.33)": the median of the per-round ratios and their range; just the value for one round. */
function ratioCell(ratio: RatioSummary | undefined | null): string {
  if (!ratio) return "";
  if (ratio.rounds.length === 1) return fixed(ratio.median, 2);
  return `${fixed(ratio.median, 2)} (${fixed(ratio.min, 2)}-${fixed(ratio.max, 2)})`;
}

export function formatRows(rows: readonly ResultRow[]): string {
  return textTable(
    ["scenario", "req/s", "p50 ms", "p99 ms", "errors", "ratio", "vs PostGraphile"],
    rows.map((row) => [
      row.alongsideRowsPerSecond === undefined
        ? row.name
        : `${row.name} (${fixed(row.alongsideRowsPerSecond, 0)} rows/s imported)`,
      fixed(row.perSecond, row.perSecond < 100 ? 1 : 0),
      fixed(row.p50Ms, 1),
      fixed(row.p99Ms, 1),
      errorsCell(row),
      ratioCell(row.ratio),
      ratioCell(row.peerRatio),
    ]),
    new Set([1, 2, 3, 4, 5, 6]),
  );
}

export function formatTargets(targets: readonly TargetResult[]): string {
  return textTable(
    ["target", "ratio", "needed", "verdict"],
    targets.map((target) => [
      `${target.numerator} / ${target.denominator}`,
      target.ratio === null ? "-" : ratioCell(target.ratio),
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
    .map((row) => `  ${row.name}: ${must(row.firstError, "row.firstError").replace(/\s+/g, " ")}`)
    .join("\n");
}
