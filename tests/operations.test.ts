import { must } from "./support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import postgres from "postgres";
import { startApp, type TestApp, waitFor } from "./support/harness.js";

// SPEC section 8 (operations) and the first-start admin of section 3. The in-process checks use the
// test harness; the rest runs the real entry point (`node --import tsx src/server/main.ts`) as a child
// process, with an environment built from scratch (never the test process's DATABASE_URL etc.).

const ROOT = join(import.meta.dirname, "..");
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;
/**
 * The deadline side of a race with an event (resolving to undefined): a safety net that fails the
 * test, never a wait. Unref'd, so it does not keep the test process alive once the race is decided.
 */
const deadline = (ms: number) => delay(ms, undefined, { ref: false });

describe("health and request ids (in process)", () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it("GET /healthz answers 200 while the process is up", async () => {
    const response = await t.fetch("/healthz");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });

  it("GET /readyz answers 200 with the database reachable", async () => {
    const response = await t.fetch("/readyz");
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { database: string }).database, "ok");
  });

  it("gives every response an X-Request-Id, keeping a caller's safe one", async () => {
    const generated = await t.fetch("/healthz");
    assert.match(generated.headers.get("x-request-id") ?? "", /^[\w.-]{8,64}$/);
    const other = await t.fetch("/healthz");
    assert.notEqual(other.headers.get("x-request-id"), generated.headers.get("x-request-id"));

    const kept = await t.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "client-42.a_b" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    assert.equal(kept.headers.get("x-request-id"), "client-42.a_b");

    for (const unsafe of ["has spaces in it", "x".repeat(65), 'quote"d']) {
      const replaced = await t.fetch("/healthz", { headers: { "x-request-id": unsafe } });
      const id = replaced.headers.get("x-request-id");
      assert.ok(id && id !== unsafe, `replaces ${JSON.stringify(unsafe)}`);
    }
  });

  it("GET /readyz answers 503 when the database is unreachable", async () => {
    const broken = await startApp();
    try {
      await broken.app.database.close();
      const response = await broken.fetch("/readyz");
      assert.equal(response.status, 503);
      assert.notEqual(((await response.json()) as { status: string }).status, "ready");
      assert.equal((await broken.fetch("/healthz")).status, 200, "the process is still up");
    } finally {
      await broken.close();
    }
  });
});

/** A port nobody listens on right now (bound on loopback, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === "object");
  return address.port;
}

type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** The real server in a child process, with its stdout parsed as JSON log lines. */
class ServerProcess {
  readonly lines: LogLine[] = [];
  readonly notJson: string[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private buffer = "";
  private waiters: (() => void)[] = [];

  private constructor(
    readonly url: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    must(this.child.stdout, "this.child.stdout")
      .setEncoding("utf8")
      .on("data", (chunk: string) => {
        this.stdout += chunk;
        this.buffer += chunk;
        const lines = this.buffer.split("\n");
        this.buffer = must(lines.pop(), "lines.pop()");
        for (const line of lines.filter((text) => text.trim() !== "")) {
          try {
            this.lines.push(JSON.parse(line) as LogLine);
          } catch {
            this.notJson.push(line);
          }
        }
        this.notify();
      });
    must(this.child.stderr, "this.child.stderr")
      .setEncoding("utf8")
      .on("data", (chunk: string) => {
        this.stderr += chunk;
      });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  /** Starts `src/server/main.ts` on a free loopback port and waits until it listens. */
  static async start(vars: Record<string, string>): Promise<ServerProcess> {
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? tmpdir(),
      TMPDIR: tmpdir(),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...vars,
    };
    const server = new ServerProcess(`http://127.0.0.1:${port}`, env);
    running.add(server);
    await server.waitFor((line) => /listening/.test(line.msg ?? ""), START_TIMEOUT_MS, "listening");
    return server;
  }

  private notify() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line matching, failing on timeout or if the process exits. */
  async waitFor(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (!this.running) assert.fail(`exited before logging ${what}:\n${this.stdout}\n${this.stderr}`);
      const left = until - performance.now();
      if (left <= 0) assert.fail(`no ${what} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), deadline(left)]);
    }
  }

  signal(signal: NodeJS.Signals) {
    this.child.kill(signal);
  }

  /** SIGTERM, then the exit (code and time), failing if it takes longer than STOP_TIMEOUT_MS. */
  async terminate(): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    this.signal("SIGTERM");
    const exit = await Promise.race([this.exited, deadline(STOP_TIMEOUT_MS)]);
    if (!exit) {
      this.kill();
      assert.fail(`still running ${STOP_TIMEOUT_MS} ms after SIGTERM:\n${this.stdout}\n${this.stderr}`);
    }
    running.delete(this);
    return { code: exit.code, ms: Date.now() - started };
  }

  kill() {
    if (this.running) this.child.kill("SIGKILL");
    running.delete(this);
  }

  async graphql<T>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
    requestId?: string,
  ) {
    const response = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token && { authorization: `Bearer ${token}` }),
        ...(requestId && { "x-request-id": requestId }),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    assert.equal(body.errors, undefined, `${query}: ${JSON.stringify(body.errors)}`);
    return { data: body.data as T, requestId: response.headers.get("x-request-id") };
  }

  async login(email: string, password: string): Promise<string> {
    const { data } = await this.graphql<{ login: { token: string } }>(
      "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
      { email, password },
    );
    return data.login.token;
  }
}

/** Children still running when a test fails are killed (by their own handle) at the end. */
const running = new Set<ServerProcess>();
const temporary: string[] = [];
after(async () => {
  for (const server of running) server.kill();
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "visit-ops-"));
  temporary.push(dir);
  return dir;
}

const VISITORS = `query($eventId: ID!) {
  visitors(eventId: $eventId) { edges { node { id revision deleted registrationState } } }
}`;
type VisitorsData = {
  visitors: {
    edges: { node: { id: string; revision: number; deleted: boolean; registrationState: string } }[];
  };
};

/** Writes an event and visitors (create, update, delete), returning what a later read must show. */
async function writeSomeData(server: ServerProcess, token: string) {
  const { data: event } = await server.graphql<{ createEvent: { id: string; name: string } }>(
    "mutation($input: CreateEventInput!) { createEvent(input: $input) { id name } }",
    { input: { name: "Restart Expo", start: "2027-05-01T09:00:00Z", end: "2027-05-02T17:00:00Z" } },
    token,
  );
  const eventId = event.createEvent.id;
  const ids: string[] = [];
  for (const lastName of ["One", "Two", "Three"]) {
    const { data } = await server.graphql<{ createVisitor: { id: string } }>(
      "mutation($eventId: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $eventId, input: $input) { id } }",
      { eventId, input: { registrationState: "REGISTERED", contact: { firstName: "Ada", lastName } } },
      token,
    );
    ids.push(data.createVisitor.id);
  }
  await server.graphql(
    "mutation($eventId: ID!, $id: ID!) { updateVisitor(eventId: $eventId, id: $id, input: { registrationState: CANCELLED }) { id } }",
    { eventId, id: ids[0] },
    token,
  );
  await server.graphql(
    "mutation($eventId: ID!, $id: ID!) { deleteVisitor(eventId: $eventId, id: $id) { id } }",
    { eventId, id: ids[1] },
    token,
  );
  const { data } = await server.graphql<VisitorsData>(VISITORS, { eventId }, token);
  return {
    eventId,
    eventName: event.createEvent.name,
    visitors: data.visitors.edges.map((edge) => edge.node),
  };
}

/**
 * A POST /graphql whose headers have reached the server (it answered `100 Continue`, so the request
 * is registered) but whose body is held back until `finish()`.
 */
async function heldRequest(server: ServerProcess, token: string, body: string) {
  const request = http.request(`${server.url}/graphql`, {
    method: "POST",
    agent: false,
    headers: {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      authorization: `Bearer ${token}`,
      expect: "100-continue",
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
      });
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    request.once("error", reject);
  });
  request.flushHeaders();
  await new Promise<void>((resolve, reject) => {
    request.once("continue", resolve);
    request.once("error", reject);
  });
  return {
    finish() {
      request.end(body);
      return response;
    },
  };
}

/** Whether a new TCP connection to the server is accepted. */
function accepts(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(`${url}/healthz`, { agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    request.once("error", () => resolve(false));
  });
}

/**
 * The restart story: data written, SIGTERM while a request is in flight (it still completes), a
 * clean exit, then a second start on the same storage that reads everything back.
 */
async function restartScenario(storage: Record<string, string>) {
  const admin = { ADMIN_EMAIL: "ops@example.test", ADMIN_PASSWORD: `pw-${randomBytes(8).toString("hex")}` };
  const first = await ServerProcess.start({ ...storage, ...admin });
  const token = await first.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
  const written = await writeSomeData(first, token);
  assert.equal(written.visitors.length, 3);

  // A traced request: its id comes back in the header and shows up in the request log.
  const traceId = `ops-${randomBytes(6).toString("hex")}`;
  const traced = await first.graphql("{ me { email } }", {}, token, traceId);
  assert.equal(traced.requestId, traceId);

  const inFlight = await heldRequest(
    first,
    token,
    JSON.stringify({ query: VISITORS, variables: { eventId: written.eventId } }),
  );
  first.signal("SIGTERM");
  await first.waitFor((line) => /shutting down/.test(line.msg ?? ""), STOP_TIMEOUT_MS, "shutting down");
  // Refused while the held request keeps the server draining: it closes its listener first.
  await waitFor("new connections to be refused while draining", async () => !(await accepts(first.url)));
  const drained = await inFlight.finish();
  assert.equal(drained.status, 200, drained.body);
  const drainedData = (JSON.parse(drained.body) as { data: VisitorsData }).data;
  assert.deepEqual(
    drainedData.visitors.edges.map((edge) => edge.node),
    written.visitors,
    "the in-flight request completed with its data",
  );
  const exit = await Promise.race([first.exited, deadline(STOP_TIMEOUT_MS)]);
  if (!exit) {
    first.kill();
    assert.fail(`still running ${STOP_TIMEOUT_MS} ms after its last request:\n${first.stdout}`);
  }
  running.delete(first);
  assert.equal(exit.code, 0, `exit code (stderr: ${first.stderr})`);
  assert.ok(
    first.lines.some((line) => line.msg === "stopped"),
    "logs that it stopped",
  );
  assertLogHygiene(first, [admin.ADMIN_PASSWORD, token]);
  const traceLine = first.lines.find((line) => requestIdOf(line) === traceId);
  assert.ok(traceLine, "the traced request is in the log under its id");

  const second = await ServerProcess.start({ ...storage, ...admin });
  try {
    const again = await second.login(admin.ADMIN_EMAIL, admin.ADMIN_PASSWORD);
    const { data: event } = await second.graphql<{ event: { name: string } }>(
      "query($id: ID!) { event(id: $id) { name } }",
      { id: written.eventId },
      again,
    );
    assert.equal(event.event.name, written.eventName);
    const { data } = await second.graphql<VisitorsData>(VISITORS, { eventId: written.eventId }, again);
    assert.deepEqual(
      data.visitors.edges.map((edge) => edge.node),
      written.visitors,
    );
    const { data: created } = await second.graphql<{ createVisitor: { revision: number } }>(
      "mutation($eventId: ID!) { createVisitor(eventId: $eventId, input: {}) { revision } }",
      { eventId: written.eventId },
      again,
    );
    const highest = Math.max(...written.visitors.map((visitor) => visitor.revision));
    assert.ok(created.createVisitor.revision > highest, "revisions continue after a restart");
  } finally {
    const stopped = await second.terminate();
    assert.equal(stopped.code, 0);
  }
  return { first, second };
}

function requestIdOf(line: LogLine): unknown {
  return line.reqId ?? (line.req as { id?: unknown } | undefined)?.id;
}

/** Every line is JSON, every request line carries its id, and no secret is printed. */
function assertLogHygiene(server: ServerProcess, secrets: string[]) {
  assert.deepEqual(server.notJson, [], "stdout is JSON lines only");
  const requestLines = server.lines.filter((line) => line.req !== undefined || line.res !== undefined);
  assert.ok(requestLines.length > 0, "requests are logged");
  for (const line of requestLines) {
    assert.ok(requestIdOf(line), `request log line with an id: ${JSON.stringify(line)}`);
  }
  for (const secret of secrets) {
    assert.ok(!server.stdout.includes(secret) && !server.stderr.includes(secret), "a secret is in the log");
  }
}

describe("the real server process (src/server/main.ts)", { concurrency: true }, () => {
  it("on embedded PGlite: drains an in-flight request on SIGTERM, exits 0, and keeps its data across a restart", async () => {
    const dir = await dataDir();
    const { first, second } = await restartScenario({ DATA_DIR: dir });
    assert.equal(first.lines.find((line) => line.driver)?.driver, "pglite");
    assert.equal(second.lines.find((line) => line.driver)?.driver, "pglite");
    assert.ok((await readdir(dir)).length > 0, "the data lives in DATA_DIR");
  });

  it("on PostgreSQL (DATABASE_URL): the same restart story", async (test) => {
    const serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) {
      test.skip("set DATABASE_URL to run the restart against PostgreSQL too");
      return;
    }
    const name = `visit_test_${randomBytes(6).toString("hex")}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    try {
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      const dir = await dataDir();
      const { first } = await restartScenario({ DATABASE_URL: url.toString(), DATA_DIR: dir });
      assert.equal(first.lines.find((line) => line.driver)?.driver, "postgres");
      assert.deepEqual(await readdir(dir), [], "nothing embedded was created");
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });

  it("first start without ADMIN_EMAIL/ADMIN_PASSWORD: logs a generated admin password once, and it logs in", async () => {
    const dir = await dataDir();
    const first = await ServerProcess.start({ DATA_DIR: dir });
    const created = first.lines.filter((line) => typeof line.adminPassword === "string");
    assert.equal(created.length, 1, "the credentials are logged once");
    const { adminEmail, adminPassword } = created[0] as { adminEmail: string; adminPassword: string };
    assert.match(adminPassword, /^[\w-]{16,}$/, "a real generated password, not a redaction placeholder");
    const token = await first.login(adminEmail, adminPassword);
    const { data } = await first.graphql<{ me: { roles: string[] } }>("{ me { roles } }", {}, token);
    assert.deepEqual(data.me.roles, ["ADMIN"]);
    assert.equal((await first.terminate()).code, 0);

    const second = await ServerProcess.start({ DATA_DIR: dir });
    try {
      assert.ok(
        !second.stdout.includes(adminPassword) && !second.lines.some((line) => "adminPassword" in line),
        "not printed again on the next start",
      );
      await second.login(adminEmail, adminPassword);
    } finally {
      assert.equal((await second.terminate()).code, 0);
    }
  });
});
