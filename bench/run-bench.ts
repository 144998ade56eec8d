import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { registrationTypesByIds, statistics, visitorById, visitorPage } from "./baseline-sql.js";
import { checkPeerAgreement } from "./peer/peer-agreement.js";
import { buildScenarios, SCENARIO, type Scenario, type StatisticsResolution } from "./scenarios.js";
import { seedBench } from "./seed.js";
import { appEnvironment, createBenchInfrastructure } from "./support/bench-infrastructure.js";
import {
  formatFirstErrors,
  formatMachine,
  formatRows,
  formatTargets,
  machineInfo,
} from "./support/bench-report.js";
import { parseOptions, positiveNumber } from "./support/cli-options.js";
import { login } from "./support/graphql-client.js";
import { must } from "./support/must.js";
import {
  cleanUpOnExit,
  freePort,
  type ManagedChild,
  onCleanup,
  REPO_ROOT,
  runCleanup,
  startChild,
} from "./support/process-supervisor.js";
import { bulkStep, loadStep, runRounds, type Step, type StepContext } from "./support/round-runner.js";
import { evaluateTargets, type RowDefinition, summariseRows } from "./support/round-summary.js";

const USAGE = `npm run bench -- [options]

Seeds a fresh PostgreSQL database through the API, starts the app, a bare Express + postgres.js
baseline and PostGraphile v5 (the peer) on it, checks that the peer returns the same records as the
app, then measures every scenario once per round (interleaved, odd rounds forward, even rounds
backward) with autocannon. Ratios are computed within each round; the table shows their median and
range, and the medians of req/s and latencies.

  --quick               smoke test: 10,000 visitors, 10 statistics keys, 1 s warm-up, 2 s runs, 1 round
  --duration <s>        measured seconds per scenario and round (default 10)
  --warmup <s>          warm-up seconds before each scenario's first measurement (default 3)
  --rounds <n>          interleaved rounds; medians and ranges are over these (default 3)
  --connections <n>     concurrent connections (default 10)
  --visitors <n>        visitors imported through createVisitors (default 100000)
  --statistics-keys <n> API keys with a month of per-minute usage (default 100)
  --resolution <r>      apiStatistics resolution: DAY (default, a month's dashboard) or HOUR
  --only <text>         only scenarios whose name contains one of these comma-separated texts
                        (what they are compared with always runs: baselines, PostGraphile)`;

const values = parseOptions(
  process.argv.slice(2),
  {
    quick: { type: "boolean" },
    duration: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
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
  rounds: Math.round(positiveNumber(values, "rounds", quick ? 1 : 3)),
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

/** Keeps the requested scenarios and every baseline or peer one of them is compared with. */
function selected(scenarios: Scenario[]): Scenario[] {
  if (options.only.length === 0) return scenarios;
  const wanted = scenarios.filter((scenario) => options.only.some((text) => scenario.name.includes(text)));
  const compared = new Set(wanted.flatMap((scenario) => [scenario.baseline, scenario.peer]));
  return scenarios.filter((scenario) => wanted.includes(scenario) || compared.has(scenario.name));
}

const bulkSelected = () =>
  options.only.length === 0 ||
  options.only.some((text) => SCENARIO.bulk.includes(text) || SCENARIO.baselineBulk.includes(text));

const POSTGRAPHILE_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/postgraphile/package.json"), "utf8")) as {
    version: string;
  }
).version;

/** Ready once the schema is built and a query runs (grafserv has no health route). */
async function graphqlAnswers(baseUrl: string): Promise<boolean> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ __typename }" }),
  });
  return response.ok && ((await response.json()) as { data?: unknown }).data !== undefined;
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
  log(
    `seed: createVisitors x1000 imported ${seed.bulk.app.rowsPerSecond.toFixed(0)} rows/s, the multi-row ` +
      `INSERT ${seed.bulk.baseline.rowsPerSecond.toFixed(0)} rows/s (in the JSON; the table measures per round)`,
  );

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
  let peer: ManagedChild | undefined;
  let peerAgreement: number | undefined;
  if (scenarios.some((scenario) => scenario.server === "peer")) {
    const peerPort = await freePort();
    peer = await startChild({
      name: "PostGraphile",
      args: ["bench/peer/postgraphile-server.ts"],
      env: {
        NODE_ENV: "production",
        GRAPHILE_ENV: "production",
        DATABASE_URL: infrastructure.databaseUrl,
        PORT: String(peerPort),
        HOST: "127.0.0.1",
      },
      port: peerPort,
      logFile: join(RESULTS_DIR, `${stamp}-postgraphile.log`),
      readyProbe: graphqlAnswers,
    });
    onCleanup(() => must(peer, "peer").stop());
    log(`bench: PostGraphile ${POSTGRAPHILE_VERSION} (pid ${peer.pid}) ready at ${peer.url}`);
    peerAgreement = await checkPeerAgreement({
      appUrl: app.url,
      peerUrl: peer.url,
      token: seed.loadKey.secret,
      events: seed.events,
    });
    log(`bench: PostGraphile and the app returned the same records for ${peerAgreement} requests`);
  }

  const context: StepContext = {
    urls: { app: app.url, baseline: baseline.url, peer: peer?.url ?? "" },
    seed,
    adminToken,
    infrastructure,
    load: {
      connections: options.connections,
      seconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
    },
    log,
  };
  // The bulk comparison sits just before the write scenarios: all that writes runs together.
  const reads = scenarios.filter((scenario) => !scenario.writes);
  const writes = scenarios.filter((scenario) => scenario.writes);
  const steps: Step[] = [
    ...reads.map((scenario) => loadStep(scenario, context)),
    ...(bulkSelected() ? [bulkStep(context)] : []),
    ...writes.map((scenario) => loadStep(scenario, context)),
  ];
  const measured = await runRounds(steps, options.rounds, log);

  const row = (scenario: Scenario): RowDefinition => ({
    name: scenario.name,
    unit: "req/s",
    ...(scenario.baseline && { baseline: scenario.baseline }),
    ...(scenario.peer && { peer: scenario.peer }),
  });
  const definitions: RowDefinition[] = [
    ...reads.map(row),
    { name: SCENARIO.baselineBulk, unit: "rows/s" },
    { name: SCENARIO.bulk, unit: "rows/s", baseline: SCENARIO.baselineBulk },
    ...writes.map(row),
  ];
  const rows = summariseRows(definitions, measured);
  const targets = evaluateTargets(rows);

  const firstErrors = formatFirstErrors(rows);
  const output = [
    "",
    `Visit API bench  ${formatMachine(date, machine)}`,
    `${options.visitors} visitors over ${options.events} events, ${options.connections} connections, ` +
      `${options.warmupSeconds} s warm-up, ${options.rounds} interleaved round(s) of ${options.durationSeconds} s ` +
      `per scenario (medians; ratios per round: median (min-max)), apiStatistics at ${options.resolution} ` +
      `resolution, PostGraphile ${POSTGRAPHILE_VERSION}${options.quick ? ", QUICK mode" : ""}`,
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
        peer: { postgraphile: POSTGRAPHILE_VERSION, recordsAgreed: peerAgreement ?? null },
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
