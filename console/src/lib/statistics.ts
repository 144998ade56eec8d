// Pure helpers of the Statistics page: the time axis, the chart's series and the CSV.
import type { CallType, Resolution, StatisticsBucket } from "../api/types";

const STEP_MS: Record<Exclude<Resolution, "MONTH">, number> = {
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** The start of the bucket (UTC, as the server counts) that holds `time`. */
export function bucketStart(time: number, resolution: Resolution): number {
  if (resolution === "MONTH") {
    const date = new Date(time);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  return time - (time % STEP_MS[resolution]);
}

function nextBucket(start: number, resolution: Resolution): number {
  if (resolution === "MONTH") {
    const date = new Date(start);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return start + STEP_MS[resolution];
}

/** Every bucket start in [from, until), so hours without calls show as zero rather than vanish. */
export function bucketAxis(from: number, until: number, resolution: Resolution, limit = 5_000): number[] {
  const axis: number[] = [];
  for (let start = bucketStart(from, resolution); start < until && axis.length < limit; ) {
    axis.push(start);
    start = nextBucket(start, resolution);
  }
  return axis;
}

export type ChartData = {
  /** Bucket starts, ms since the epoch. */
  x: number[];
  /** Calls per bucket, per type (summed over keys and users). */
  calls: Record<CallType, number[]>;
  /** Errors (client and server) per bucket, all types. */
  errors: number[];
};

export function chartData(
  buckets: readonly StatisticsBucket[],
  types: readonly CallType[],
  axis: readonly number[],
): ChartData {
  const index = new Map(axis.map((start, position) => [start, position]));
  const calls = Object.fromEntries(types.map((type) => [type, axis.map(() => 0)])) as Record<
    CallType,
    number[]
  >;
  const errors = axis.map(() => 0);
  for (const bucket of buckets) {
    const position = index.get(Date.parse(bucket.start));
    if (position === undefined) continue;
    const series = calls[bucket.type];
    if (series) series[position] = (series[position] ?? 0) + bucket.calls;
    errors[position] = (errors[position] ?? 0) + bucket.errors;
  }
  return { x: [...axis], calls, errors };
}

const csvCell = (value: string | number): string => {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export type CsvRow = {
  start: string;
  type: string;
  caller: string;
  calls: number;
  clientErrors: number;
  serverErrors: number;
};

export const CSV_HEADER = ["start", "type", "caller", "calls", "client_errors", "server_errors"] as const;

/** RFC 4180 CSV (CRLF line ends) of the rows as the table shows them. */
export function toCsv(rows: readonly CsvRow[]): string {
  const lines = [CSV_HEADER.join(",")];
  for (const row of rows) {
    lines.push(
      [row.start, row.type, row.caller, row.calls, row.clientErrors, row.serverErrors].map(csvCell).join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
