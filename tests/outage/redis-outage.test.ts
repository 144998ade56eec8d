import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { FUNCTION_QUEUE } from "@/jobs/scheduler/bullmq-scheduler.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { functionCode } from "../support/factories.js";
import { waitFor } from "../support/harness.js";

// Issue 10, items 3 and 4: Redis is never on a request's critical path. With the deployment's
// Redis stopped, function changes answer at once (and are stored), the server starts and serves,
// a key's rate limit is still enforced on the instance, one warning is logged for the outage, and
// SIGTERM exits 0; once Redis is back, the task's schedule is there again and runs, never
// overlapping. The Redis is the test's own redis-server; the servers are `src/server/main.ts`.

const ROOT = join(import.meta.dirname, "..", "..");
const START_TIMEOUT_MS = 90_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === "object");
  return address.port;
}

const processes = new Set<ChildProcess>();
after(() => {
  for (const child of processes)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** A process with its output collected; `exited` resolves with its exit code. */
function launch(command: string, args: string[], env?: Record<string, string>) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  processes.add(child);
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** The test's own Redis: no persistence, so a restart loses everything, as in the report. */
class PrivateRedis {
  private process: ReturnType<typeof launch> | undefined;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start() {
    this.process = launch("redis-server", [
      "--port",
      String(this.port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--bind",
      "127.0.0.1",
    ]);
    const probe = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => {});
    try {
      await waitFor(
        "redis-server to accept connections",
        async () =>
          probe.connect().then(
            () => true,
            () => false,
          ),
        10_000,
      );
    } finally {
      probe.disconnect();
    }
  }
  async stop() {
    this.process?.child.kill("SIGTERM");
    await this.process?.exited;
  }
}

class Server {
  private constructor(
    readonly url: string,
    private readonly process: ReturnType<typeof launch>,
  ) {}

  static async start(env: Record<string, string>): Promise<Server> {
    const port = await freePort();
    const process_ = launch(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? tmpdir(),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      ...env,
    });
    const server = new Server(`http://127.0.0.1:${port}`, process_);
    const exitedEarly = process_.exited.then(() => "exited" as const);
    await Promise.race([
      waitFor("the server to listen", () => /listening/.test(process_.output()), START_TIMEOUT_MS, 100),
      exitedEarly.then(() => assert.fail(`the server exited at start:\n${process_.output()}`)),
    ]);
    return server;
  }

  /** The server's log lines at warn level or above, as parsed pino records. */
  warnings(): { msg: string; level: number }[] {
    return this.process
      .output()
      .split("\n")
      .flatMap((line) => {
        try {
          const record = JSON.parse(line) as { msg: string; level: number };
          return record.level >= 40 ? [record] : [];
        } catch {
          return [];
        }
      });
  }

  async stop(): Promise<{ code: number | null; ms: number }> {
    const started = performance.now();
    this.process.child.kill("SIGTERM");
    const code = await this.process.exited;
    return { code, ms: performance.now() - started };
  }

  async gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string) {
    const started = performance.now();
    const response = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { extensions?: { code?: string } }[] };
    return { status: response.status, ms: performance.now() - started, ...body };
  }

  async ok<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    const result = await this.gql<T>(query, variables, token);
    assert.equal(result.errors, undefined, `${query}: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }
}

const LOGIN =
  "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }";
const FUNCTION = "id name code enabled";

describe("Redis outage", { timeout: 300_000 }, () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  after(async () => {
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps serving without Redis, enforces limits per instance, logs the outage once, stops cleanly, and resumes the schedule", async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    // PostgreSQL when the suite runs on it, else a PGlite folder (the servers then run one at a time).
    const storage: Record<string, string> = {};
    if (process.env.DATABASE_URL) {
      database = await createTestDatabase(process.env.DATABASE_URL);
      storage.DATABASE_URL = database.url ?? "";
    } else {
      dataDir = await mkdtemp(join(tmpdir(), "visit-redis-outage-"));
      storage.DATA_DIR = dataDir;
    }
    const admin = { email: "outage@example.test", password: `pw-${randomBytes(8).toString("hex")}` };
    const prefix = `visit-test-${randomBytes(6).toString("hex")}`;
    const env = {
      ...storage,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      FUNCTION_INTERVAL_MS: "1000",
    };

    const first = await Server.start(env);
    const token = (await first.ok<{ login: { token: string } }>(LOGIN, admin)).login.token;
    const { createApiKey } = await first.ok<{ createApiKey: { apiKey: { id: string }; secret: string } }>(
      'mutation { createApiKey(input: { rateLimitPerMinute: 3, comments: "limited" }) { apiKey { id } secret } }',
      {},
      token,
    );
    const { createFunction: task } = await first.ok<{ createFunction: { id: string } }>(
      `mutation($input: CreateFunctionInput!) { createFunction(input: $input) { ${FUNCTION} } }`,
      {
        input: {
          name: "Ticker",
          type: "BACKGROUND_TASK",
          code: functionCode("return null;"),
          apiKeyId: createApiKey.apiKey.id,
        },
      },
      token,
    );

    await redis.stop();
    const warningsBefore = first.warnings().length;
    // Once the server has seen Redis go (its connections closed), nothing waits for it at all.
    await waitFor(
      "the server to notice Redis is gone",
      async () =>
        ((await (await fetch(`${first.url}/readyz`)).json()) as { redis?: string }).redis === "unreachable",
      10_000,
    );

    // Function changes answer at once, and are stored.
    const created = await first.gql<{ createFunction: { id: string } }>(
      `mutation($input: CreateFunctionInput!) { createFunction(input: $input) { ${FUNCTION} } }`,
      {
        input: {
          name: "Made during the outage",
          type: "BACKGROUND_TASK",
          code: functionCode("return 1;"),
          apiKeyId: createApiKey.apiKey.id,
        },
      },
      token,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    assert.ok(created.ms < 1_000, `createFunction took ${created.ms} ms`);
    const updated = await first.gql(
      `mutation($id: ID!) { updateFunction(id: $id, input: { name: "Ticker, renamed" }) { ${FUNCTION} } }`,
      { id: task.id },
      token,
    );
    assert.equal(updated.errors, undefined, JSON.stringify(updated.errors));
    assert.ok(updated.ms < 1_000, `updateFunction took ${updated.ms} ms`);
    const stored = await first.ok<{ function: { name: string } }>(
      "query($id: ID!) { function(id: $id) { name } }",
      { id: task.id },
      token,
    );
    assert.equal(stored.function.name, "Ticker, renamed");
    assert.ok(created.data?.createFunction.id);

    // The key's limit still holds on this instance: 3 calls, then 429.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await first.gql("{ events { id } }", {}, createApiKey.secret)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);

    // /readyz: ready but degraded, naming Redis.
    const readyz = await fetch(`${first.url}/readyz`);
    const report = (await readyz.json()) as Record<string, unknown>;
    assert.equal(readyz.status, 200);
    assert.equal(report.status, "degraded");
    assert.equal(report.redis, "unreachable");
    assert.equal(report.rateLimits, "per-instance");

    // One warning for the whole outage, however many requests met it.
    const warnings = first.warnings().slice(warningsBefore);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]?.msg ?? "", /Redis unreachable/);

    // SIGTERM with Redis down: exit 0, within the shutdown timeout.
    const firstStop = await first.stop();
    assert.equal(firstStop.code, 0);
    assert.ok(firstStop.ms < SHUTDOWN_TIMEOUT_MS);

    // A server started while Redis is down starts and serves.
    const second = await Server.start(env);
    const secondToken = (await second.ok<{ login: { token: string } }>(LOGIN, admin)).login.token;
    const functions = await second.ok<{ functions: { id: string }[] }>(
      "{ functions { id } }",
      {},
      secondToken,
    );
    assert.ok(functions.functions.some((fn) => fn.id === task.id));

    // Redis returns, empty: the schedules are registered again and the task runs, never overlapping.
    await redis.start();
    const queueConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(FUNCTION_QUEUE, { connection: queueConnection, prefix });
    try {
      await waitFor(
        "the task's job scheduler to be registered again",
        async () => (await queue.getJobScheduler(task.id)) !== undefined,
        30_000,
        100,
      );
      const runs = await waitFor(
        "two scheduled runs of the task",
        async () => {
          const page = await second.ok<{
            functionRuns: {
              nodes: { trigger: string; status: string; startedAt: string; finishedAt: string | null }[];
            };
          }>(
            "query($id: ID!) { functionRuns(functionId: $id, first: 100) { nodes { trigger status startedAt finishedAt } } }",
            { id: task.id },
            secondToken,
          );
          const done = page.functionRuns.nodes.filter((run) => run.trigger === "SCHEDULE" && run.finishedAt);
          return done.length >= 2 && done;
        },
        60_000,
        200,
      );
      const ordered = [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
      for (let i = 1; i < ordered.length; i++) {
        const previous = ordered[i - 1];
        const current = ordered[i];
        assert.ok(
          previous?.finishedAt && current && Date.parse(current.startedAt) >= Date.parse(previous.finishedAt),
          `runs overlap: ${JSON.stringify([previous, current])}`,
        );
      }
    } finally {
      await queue.close();
      queueConnection.disconnect();
    }
    const secondStop = await second.stop();
    assert.equal(secondStop.code, 0);
    await redis.stop();
  });
});
