import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type MemoryReading, memoryProbeFile } from "./soak/memory-probe.js";
import { Gate, SoakClient, type SoakContext } from "./soak/soak-client.js";
import { SoakInstance } from "./soak/soak-http.js";
import { SoakLedger } from "./soak/soak-ledger.js";
import { type Check, verifyGraphqlFeed, verifyReadable, verifyRestFeed } from "./soak/soak-verifier.js";
import { appEnvironment, createBenchInfrastructure } from "./support/bench-infrastructure.js";
import { formatMachine, machineInfo } from "./support/bench-report.js";
import { parseOptions, positiveNumber } from "./support/cli-options.js";
import { createApiKey, createEndpointFunction, graphql, login } from "./support/graphql-client.js";
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
import { textTable } from "./support/text-table.js";

const USAGE = `npm run soak -- [options]

Two app instances on one fresh PostgreSQL database and one Redis prefix, under a mixed load of
GraphQL, REST JSON/XML and endpoint-function calls; then checks that every acknowledged write is
readable, that revision paging returns each record exactly once in order, that no answer was a 5xx,
and that each instance's memory grew less than 10 %.

  --minutes <m>   load duration after the warm-up (default 3)
  --clients <n>   concurrent clients (default 8)
  --warmup <s>    load before the first memory reading, so pools, JIT and sandbox workers are warm (default 60)
  --settle <s>    idle seconds before each memory reading (default 10)`;

const values = parseOptions(
  process.argv.slice(2),
  {
    minutes: { type: "string" },
    clients: { type: "string" },
    warmup: { type: "string" },
    settle: { type: "string" },
  },
  USAGE,
);
const options = {
  minutes: positiveNumber(values, "minutes", 3),
  clients: Math.round(positiveNumber(values, "clients", 8)),
  warmupSeconds: positiveNumber(values, "warmup", 60),
  settleSeconds: positiveNumber(values, "settle", 10),
};

const ADMIN = { email: "soak-admin@example.test", password: "soak-password-1" };
const MEMORY_GROWTH_LIMIT = 0.1;
const RESULTS_DIR = join(REPO_ROOT, "bench", "results");
const date = new Date();
const stamp = date.toISOString().replace(/[:.]/g, "-");
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const READ_FUNCTION = `export default async function (ctx) {
  const { eventId, id } = ctx.request.query;
  const result = await visit.graphql("query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { id revision } }", { eventId, id });
  if (result.errors && result.errors.length) return { status: 502, body: result.errors };
  return result.data.visitor;
}`;

async function setUp(
  url: string,
  token: string,
): Promise<Omit<SoakContext, "instances" | "ledger" | "counts" | "inconsistentReads">> {
  const gql = <T>(query: string, variables: Record<string, unknown>) =>
    graphql<T>(url, token, query, variables);
  const events = [];
  for (let index = 0; index < 3; index++) {
    const { createEvent } = await gql<{ createEvent: { id: string } }>(
      "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
      {
        input: { name: `Soak Expo ${index + 1}`, start: "2027-05-01T09:00:00Z", end: "2027-05-02T18:00:00Z" },
      },
    );
    const typeIds = [];
    for (const name of ["Visitor", "VIP"]) {
      const { createRegistrationType } = await gql<{ createRegistrationType: { id: string } }>(
        "mutation($eventId: ID, $input: CreateRegistrationTypeInput!) { createRegistrationType(eventId: $eventId, input: $input) { id } }",
        { eventId: createEvent.id, input: { name, kind: "VISITOR" } },
      );
      typeIds.push(createRegistrationType.id);
    }
    events.push({ id: createEvent.id, typeIds });
  }
  const limits = { rateLimitPerMinute: 1_000_000, concurrencyLimit: 10_000 };
  const key = await createApiKey(url, token, { comments: "soak clients", canWrite: true, ...limits });
  const functionKey = await createApiKey(url, token, { comments: "soak functions", ...limits });
  const functions = { key: functionKey.secret, constant: "soak-constant", read: "soak-read" };
  await createEndpointFunction(url, token, {
    name: "Soak constant",
    key: functions.constant,
    code: "export default async function () { return { ok: true }; }",
    apiKeyId: functionKey.id,
  });
  await createEndpointFunction(url, token, {
    name: "Soak read",
    key: functions.read,
    code: READ_FUNCTION,
    apiKeyId: functionKey.id,
  });
  return { key: key.secret, events, functions };
}

/**
 * Each instance's memory at rest: after the settle period with no client running, a full garbage
 * collection (see memory-probe.ts) then a reading; the lowest of three readings a second apart.
 */
async function restingMemory(instances: ManagedChild[]): Promise<MemoryReading[]> {
  await sleep(options.settleSeconds * 1_000);
  return Promise.all(
    instances.map(async (instance) => {
      const readings: MemoryReading[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0) await sleep(1_000);
        readings.push(await probeMemory(instance.pid));
      }
      return readings.reduce((lowest, reading) => (reading.rss < lowest.rss ? reading : lowest));
    }),
  );
}

async function probeMemory(pid: number): Promise<MemoryReading> {
  const file = memoryProbeFile(pid);
  rmSync(file, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let waited = 0; waited < 15_000; waited += 100) {
    await sleep(100);
    if (existsSync(file)) {
      const reading = JSON.parse(readFileSync(file, "utf8")) as MemoryReading;
      rmSync(file, { force: true });
      return reading;
    }
  }
  throw new Error(`instance ${pid} wrote no memory reading`);
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

async function main(): Promise<boolean> {
  cleanUpOnExit();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const machine = machineInfo();
  log(`soak: ${formatMachine(date, machine)}`);
  const infrastructure = await createBenchInfrastructure("soak");
  onCleanup(() => infrastructure.drop());
  log(`soak: database ${infrastructure.databaseName}, Redis prefix ${infrastructure.redisPrefix}`);

  // One after the other: the first creates the admin on the empty database, the second finds it.
  const children: ManagedChild[] = [];
  for (const name of ["instance A", "instance B"]) {
    const port = await freePort();
    const child = await startChild({
      name,
      args: ["--expose-gc", "--import", "./bench/soak/memory-probe.ts", "src/server/main.ts"],
      env: appEnvironment(infrastructure, port, ADMIN),
      port,
      logFile: join(RESULTS_DIR, `soak-${stamp}-${name.replace(" ", "-").toLowerCase()}.log`),
      readyPath: "/readyz",
    });
    onCleanup(() => child.stop());
    children.push(child);
    log(`soak: ${name} (pid ${child.pid}) ready at ${child.url}`);
  }
  const instances = children.map((child) => new SoakInstance(child.name, child.url));
  const adminToken = await login(children[0].url, ADMIN.email, ADMIN.password);
  const context: SoakContext = {
    ...(await setUp(children[0].url, adminToken)),
    instances,
    ledger: new SoakLedger(),
    counts: {},
    inconsistentReads: [],
  };

  let stopped = false;
  const gate = new Gate(options.clients);
  const clients = Array.from({ length: options.clients }, (_, index) =>
    new SoakClient(context, index).run(() => stopped, gate),
  );
  log(`soak: ${options.clients} clients started; warm-up ${options.warmupSeconds} s`);
  await sleep(options.warmupSeconds * 1_000);
  await gate.close();
  const warmMemory = await restingMemory(children);
  log(`soak: RSS at rest after warm-up ${warmMemory.map((reading) => mib(reading.rss)).join(", ")}`);
  const operationsSoFar = () => Object.values(context.counts).reduce((sum, count) => sum + count, 0);
  const warmUpOperations = operationsSoFar();
  gate.open();

  const started = Date.now();
  const end = started + options.minutes * 60_000;
  while (Date.now() < end) {
    await sleep(Math.min(30_000, end - Date.now()));
    log(
      `soak: ${Math.round((Date.now() - started) / 1_000)} s, ${operationsSoFar()} operations, ` +
        `${context.ledger.acknowledgedWrites} acknowledged writes, ` +
        `RSS under load ${children.map((child) => mib((child.rssKb() ?? 0) * 1024)).join(", ")}`,
    );
  }
  stopped = true;
  await Promise.all(clients);
  const loadSeconds = (Date.now() - started) / 1_000;
  const finalMemory = await restingMemory(children);
  log("soak: load stopped; verifying");

  const checks: Check[] = [];
  const totals = instances.reduce(
    (sum, instance) => ({
      responses: sum.responses + instance.stats.responses,
      serverErrors: sum.serverErrors + instance.stats.serverErrors,
      unexpected: sum.unexpected + instance.stats.unexpected,
      networkErrors: sum.networkErrors + instance.stats.networkErrors,
    }),
    { responses: 0, serverErrors: 0, unexpected: 0, networkErrors: 0 },
  );
  const samples = instances.flatMap((instance) =>
    instance.stats.samples.map((line) => `${instance.name}: ${line}`),
  );
  checks.push({
    name: "no 5xx answers",
    value: `${totals.serverErrors} of ${totals.responses}`,
    pass: totals.serverErrors === 0,
    details: samples.filter((line) => / -> 5\d\d /.test(line)),
  });
  checks.push({
    name: "no other unexpected answer or lost connection",
    value: `${totals.unexpected - totals.serverErrors} unexpected, ${totals.networkErrors} network errors`,
    pass: totals.unexpected === totals.serverErrors && totals.networkErrors === 0,
    details: samples.filter((line) => !/ -> 5\d\d /.test(line)),
  });
  checks.push({
    name: "reads during the load saw the last acknowledged write",
    value: `${context.inconsistentReads.length} inconsistent`,
    pass: context.inconsistentReads.length === 0,
    details: context.inconsistentReads.slice(0, 10),
  });
  checks.push(await verifyReadable(instances, context.key, context.ledger));
  const eventIds = context.events.map((event) => event.id);
  checks.push(await verifyGraphqlFeed(instances[0], context.key, eventIds, context.ledger));
  checks.push(await verifyRestFeed(instances[1], context.key, eventIds, context.ledger));
  children.forEach((child, index) => {
    const warm = warmMemory[index];
    const final = finalMemory[index];
    const growth = (final.rss - warm.rss) / warm.rss;
    checks.push({
      name: `memory growth of ${child.name} (RSS after a full GC, warm-up -> end)`,
      value:
        `${mib(warm.rss)} -> ${mib(final.rss)} (${(growth * 100).toFixed(1)} %), ` +
        `JS heap ${mib(warm.heapUsed)} -> ${mib(final.heapUsed)}`,
      pass: growth < MEMORY_GROWTH_LIMIT,
    });
  });

  const operations = Object.entries(context.counts).sort(([a], [b]) => a.localeCompare(b));
  const total = operations.reduce((sum, [, count]) => sum + count, 0);
  console.log(
    [
      "",
      `Visit API soak  ${formatMachine(date, machine)}`,
      `2 instances, ${options.clients} clients, ${(loadSeconds / 60).toFixed(1)} min of load after a ${options.warmupSeconds} s warm-up: ` +
        `${total} operations (${((total - warmUpOperations) / loadSeconds).toFixed(0)}/s after the warm-up), ` +
        `${context.ledger.acknowledgedWrites} acknowledged writes on ${context.ledger.visitors.size} visitors`,
      "",
      textTable(
        ["operation", "count"],
        operations.map(([kind, count]) => [kind, String(count)]),
        new Set([1]),
      ),
      "",
      textTable(
        ["check", "value", "result"],
        checks.map((check) => [check.name, check.value, check.pass ? "PASS" : "FAIL"]),
        new Set(),
      ),
      ...checks
        .filter((check) => !check.pass && check.details?.length)
        .flatMap((check) => [
          "",
          `${check.name}:`,
          ...must(check.details, "check.details").map((line) => `  ${line}`),
        ]),
      "",
    ].join("\n"),
  );
  const file = join(RESULTS_DIR, `soak-${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: date.toISOString(),
        machine,
        options,
        loadSeconds,
        operations: context.counts,
        instances: instances.map((instance) => ({ name: instance.name, ...instance.stats })),
        memory: { afterWarmup: warmMemory, end: finalMemory },
        checks,
      },
      null,
      2,
    )}\n`,
  );
  log(`soak: results written to ${file}`);
  return checks.every((check) => check.pass);
}

try {
  if (!(await main())) process.exitCode = 1;
} catch (error) {
  console.error("soak failed:", error);
  process.exitCode = 1;
} finally {
  await runCleanup();
}
