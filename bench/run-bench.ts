import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { registrationTypesByIds, statistics, visitorById, visitorPage } from "./baseline-sql.js";
import { buildScenarios, type Scenario, type StatisticsResolution } from "./scenarios.js";
import { BATCH_SIZE, seedBench } from "./seed.js";
import { appEnvironment, createBenchInfrastructure } from "./support/bench-infrastructure.js";
import {
  BULK,
  evaluateTargets,
  formatFirstErrors,
  formatMachine,
  formatRows,
  formatTargets,
  machineInfo,
  type ResultRow,
  withRatios,
} from "./support/bench-report.js";
import { parseOptions, positiveNumber } from "./support/cli-options.js";
import { login } from "./support/graphql-client.js";
import { type LoadMeasurement, measureLoad } from "./support/load-runner.js";
import {
  cleanUpOnExit,
  freePort,
  onCleanup,
  REPO_ROOT,
  runCleanup,
  startChild,
} from "./support/process-supervisor.js";
import { median } from "./support/stats.js";

const USAGE = `npm run bench -- [options]

Seeds a fresh PostgreSQL database through the API, then loads each scenario with autocannon
against the app and against a bare Express + postgres.js baseline, and prints one table.

  --quick               smoke test: 10,000 visitors, 10 statistics keys, 1 s warm-up, 2 s runs, 1 run
  --duration <s>        measured seconds per run (default 10)
  --warmup <s>          warm-up seconds before each scenario's first run (default 3)
  --runs <n>            runs per scenario; the median is reported (default 3)
  --connections <n>     concurrent connections (default 10)
  --visitors <n>        visitors imported through createVisitors (default 100000)
  --statistics-keys <n> API keys with a month of per-minute usage (default 100)
  --resolution <r>      apiStatistics resolution: DAY (default, a month's dashboard) or HOUR
  --only <text>         only scenarios whose name contains one of these comma-separated texts
                        (their baselines always run)`;

const values = parseOptions(
  process.argv.slice(2),
  {
    quick: { type: "boolean" },
    duration: { type: "string" },
    warmup: { type: "string" },
    runs: { type: "string" },
    connections: { type: "string" },
    visitors: { type: "string" },
    "statistics-keys": { type: "string" },
    resolution: { type: "string" },
    only: { type: "string" },
  },
  USAGE,
);
const quick = values.quick === true;
const options = {
  quick,
  durationSeconds: positiveNumber(values, "duration", quick ? 2 : 10),
  warmupSeconds: positiveNumber(values, "warmup", quick ? 1 : 3),
  runs: Math.round(positiveNumber(values, "runs", quick ? 1 : 3)),
  connections: Math.round(positiveNumber(values, "connections", 10)),
  visitors: Math.round(positiveNumber(values, "visitors", quick ? 10_000 : 100_000)),
  events: 10,
  statisticsKeys: Math.round(positiveNumber(values, "statistics-keys", quick ? 10 : 100)),
  resolution: (values.resolution === "HOUR" ? "HOUR" : "DAY") as StatisticsResolution,
  only: typeof values.only === "string" ? values.only.split(",").map((text) => text.trim()) : [],
};
if (values.resolution !== undefined && values.resolution !== "DAY" && values.resolution !== "HOUR") {
  console.error(`--resolution must be DAY or HOUR\n\n${USAGE}`);
  process.exit(2);
}

const ADMIN = { email: "bench-admin@example.test", password: "bench-password-1" };
const RESULTS_DIR = join(REPO_ROOT, "bench", "results");
const date = new Date();
const stamp = date.toISOString().replace(/[:.]/g, "-");
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Keeps the requested scenarios and every baseline one of them is compared with. */
function selected(scenarios: Scenario[]): Scenario[] {
  if (options.only.length === 0) return scenarios;
  const wanted = scenarios.filter((scenario) => options.only.some((text) => scenario.name.includes(text)));
  const baselines = new Set(wanted.map((scenario) => scenario.baseline));
  return scenarios.filter((scenario) => wanted.includes(scenario) || baselines.has(scenario.name));
}

function summarise(scenario: Scenario, runs: LoadMeasurement[]): ResultRow {
  const errorStatuses: Record<string, number> = {};
  for (const run of runs) {
    for (const [status, count] of Object.entries(run.errorStatuses)) {
      errorStatuses[status] = (errorStatuses[status] ?? 0) + count;
    }
  }
  const firstError = runs.find((run) => run.firstError)?.firstError;
  return {
    name: scenario.name,
    unit: "req/s",
    perSecond: median(runs.map((run) => run.okPerSecond)),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    responses: runs.reduce((sum, run) => sum + run.responses, 0),
    ...(scenario.baseline && { baseline: scenario.baseline }),
    errorStatuses,
    ...(firstError && { firstError }),
    runs,
  };
}

async function main() {
  cleanUpOnExit();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const machine = machineInfo();
  log(`bench: ${formatMachine(date, machine)}`);

  const infrastructure = await createBenchInfrastructure("bench");
  onCleanup(() => infrastructure.drop());
  log(`bench: database ${infrastructure.databaseName}, Redis prefix ${infrastructure.redisPrefix}`);

  const appPort = await freePort();
  const app = await startChild({
    name: "app",
    args: ["src/server/main.ts"],
    env: appEnvironment(infrastructure, appPort, ADMIN),
    port: appPort,
    logFile: join(RESULTS_DIR, `${stamp}-app.log`),
    readyPath: "/readyz",
  });
  onCleanup(() => app.stop());
  log(`bench: app (pid ${app.pid}) ready at ${app.url}`);

  const adminToken = await login(app.url, ADMIN.email, ADMIN.password);
  const seed = await seedBench({
    appUrl: app.url,
    adminToken,
    infrastructure,
    visitors: options.visitors,
    events: options.events,
    statisticsKeys: options.statisticsKeys,
    log,
  });

  const baselinePort = await freePort();
  const baseline = await startChild({
    name: "baseline",
    args: ["bench/baseline-server.ts", seed.organisationId],
    env: { DATABASE_URL: infrastructure.databaseUrl, PORT: String(baselinePort), HOST: "127.0.0.1" },
    port: baselinePort,
    logFile: join(RESULTS_DIR, `${stamp}-baseline.log`),
    readyPath: "/healthz",
  });
  onCleanup(() => baseline.stop());
  log(`bench: baseline server (pid ${baseline.pid}) ready at ${baseline.url}`);

  const scenarios = selected(buildScenarios(seed, adminToken, options.resolution));
  const runs = new Map<string, LoadMeasurement[]>(scenarios.map((scenario) => [scenario.name, []]));
  // Round robin: every run visits every scenario, so a slow patch of a shared machine spreads out.
  for (let run = 1; run <= options.runs; run++) {
    for (const scenario of scenarios) {
      const url = scenario.server === "app" ? app.url : baseline.url;
      const load = { connections: options.connections };
      if (run === 1) await measureLoad(url, scenario, { ...load, seconds: options.warmupSeconds });
      const measurement = await measureLoad(url, scenario, { ...load, seconds: options.durationSeconds });
      runs.get(scenario.name)!.push(measurement);
      log(
        `run ${run}/${options.runs}  ${scenario.name}: ${measurement.okPerSecond.toFixed(0)} req/s, ` +
          `p99 ${measurement.p99Ms} ms, ${measurement.errors} errors`,
      );
    }
  }

  const bulkRow = (name: string, measurement: typeof seed.bulk.app, baselineName?: string): ResultRow => ({
    name,
    unit: "rows/s",
    perSecond: measurement.rowsPerSecond,
    p50Ms: measurement.p50Ms,
    p99Ms: measurement.p99Ms,
    errors: 0,
    responses: measurement.rows / BATCH_SIZE,
    ...(baselineName && { baseline: baselineName }),
  });
  const rows = withRatios([
    ...scenarios.map((scenario) => summarise(scenario, runs.get(scenario.name)!)),
    bulkRow(BULK.baseline, seed.bulk.baseline),
    bulkRow(BULK.app, seed.bulk.app, BULK.baseline),
  ]);
  const targets = evaluateTargets(rows);

  const firstErrors = formatFirstErrors(rows);
  const output = [
    "",
    `Visit API bench  ${formatMachine(date, machine)}`,
    `${options.visitors} visitors over ${options.events} events, ${options.connections} connections, ` +
      `${options.warmupSeconds} s warm-up, ${options.runs} x ${options.durationSeconds} s (median), ` +
      `apiStatistics at ${options.resolution} resolution${options.quick ? ", QUICK mode" : ""}`,
    "",
    formatRows(rows),
    ...(firstErrors ? ["", "first error per failing scenario:", firstErrors] : []),
    "",
    formatTargets(targets),
    "",
  ].join("\n");
  console.log(output);

  const file = join(RESULTS_DIR, `${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: date.toISOString(),
        machine,
        options,
        seed: {
          visitors: options.visitors,
          events: options.events,
          statistics: seed.statistics,
          bulk: seed.bulk,
        },
        rows,
        targets,
        baselineSql: {
          visitorById: visitorById.text,
          visitorPage: visitorPage.text,
          registrationTypesByIds: registrationTypesByIds(1).text,
          statistics: statistics[options.resolution].text,
        },
      },
      null,
      2,
    )}\n`,
  );
  log(`bench: results written to ${file}`);
}

try {
  await main();
} catch (error) {
  console.error("bench failed:", error);
  process.exitCode = 1;
} finally {
  await runCleanup();
}
