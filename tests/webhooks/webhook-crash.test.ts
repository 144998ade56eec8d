import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadEnv } from "@/src/config/env.js";
import { createTestDatabase, dropRedisPrefix } from "../support/database.js";
import { waitFor } from "../support/harness.js";
import { Receiver, verifyStandardWebhook } from "./support.js";

// SPEC section 10, durability: the server is killed (SIGKILL) after a write committed and while its
// ping is unacknowledged; after a restart on the same storage the ping comes again and the pull
// returns the write. At most one ping is repeated, nothing is lost. Runs on PostgreSQL (with Redis
// when REDIS_URL is set) and on a PGlite data folder.

const ROOT = join(import.meta.dirname, "..", "..");
const START_TIMEOUT_MS = 90_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === "object");
  return address.port;
}

/** `src/server/main.ts` in a child process, with an environment built from scratch. */
class Child {
  output = "";
  readonly exited: Promise<unknown>;
  private readonly process: ChildProcess;

  constructor(
    readonly url: string,
    env: Record<string, string>,
  ) {
    this.process = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    must(this.process.stdout, "this.process.stdout")
      .setEncoding("utf8")
      .on("data", (chunk: string) => {
        this.output += chunk;
      });
    must(this.process.stderr, "this.process.stderr")
      .setEncoding("utf8")
      .on("data", (chunk: string) => {
        this.output += chunk;
      });
    this.exited = new Promise((resolve) => this.process.once("exit", resolve));
    children.add(this);
  }

  static async start(vars: Record<string, string>): Promise<Child> {
    const port = await freePort();
    const child = new Child(`http://127.0.0.1:${port}`, {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? tmpdir(),
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...vars,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the server did not start:\n${child.output}`)),
        START_TIMEOUT_MS,
      );
      const check = () => {
        if (!/listening/.test(child.output)) return;
        clearTimeout(timer);
        resolve();
      };
      must(child.process.stdout, "child.process.stdout").on("data", check);
      child.exited.then(() => reject(new Error(`the server exited at start:\n${child.output}`)));
      check();
    });
    return child;
  }

  async kill() {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill("SIGKILL");
    await this.exited;
    children.delete(this);
  }

  async graphql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    const response = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    assert.equal(body.errors, undefined, `${query}: ${JSON.stringify(body.errors)}`);
    return body.data as T;
  }
}

const children = new Set<Child>();
after(async () => {
  for (const child of children) await child.kill();
});

const LOGIN =
  "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }";
const PULL =
  "query($e: ID!, $w: ID!) { visitors(eventId: $e, filter: { webhookId: $w }) { edges { node { id } } } }";
const WEBHOOK =
  "query($e: ID!, $id: ID!) { webhook(eventId: $e, id: $id) { deliveredRevision coveredRevision } }";

async function crashScenario(storage: Record<string, string>) {
  const receiver = await Receiver.start();
  const admin = { email: "crash@example.test", password: `pw-${randomBytes(8).toString("hex")}` };
  const vars = {
    ...storage,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    OUTBOUND_ALLOW: receiver.host,
    // Room for the receiver to pull from a server that just started, on a busy machine.
    WEBHOOK_TIMEOUT_MS: "15000",
    WEBHOOK_RECONCILE_MS: "200",
  };
  try {
    const first = await Child.start(vars);
    const login = async (child: Child) =>
      (await child.graphql<{ login: { token: string } }>(LOGIN, admin)).login.token;
    let token = await login(first);
    const { createEvent: event } = await first.graphql<{ createEvent: { id: string } }>(
      'mutation { createEvent(input: { name: "Crash Expo", start: "2027-01-01T09:00:00Z", end: "2027-01-02T17:00:00Z" }) { id } }',
      {},
      token,
    );
    const { createWebhook } = await first.graphql<{
      createWebhook: { webhook: { id: string }; secret: string };
    }>(
      "mutation($e: ID!, $url: String!) { createWebhook(eventId: $e, input: { type: VISITOR, url: $url }) { webhook { id } secret } }",
      { e: event.id, url: receiver.url() },
      token,
    );

    // The first ping is never answered: the server dies while it is in flight. Later pings pull
    // from the restarted server, then answer.
    let current = first;
    const pulls: string[][] = [];
    receiver.handler = async (ping, response) => {
      if (receiver.pings.length === 1) {
        await new Promise((resolve) => response.once("close", resolve));
        return undefined;
      }
      const data = await current.graphql<{ visitors: { edges: { node: { id: string } }[] } }>(
        PULL,
        { e: event.id, w: ping.query.webhookId },
        token,
      );
      pulls.push(data.visitors.edges.map((edge) => edge.node.id));
      return 200;
    };

    const { createVisitor: visitor } = await first.graphql<{
      createVisitor: { id: string; revision: number };
    }>(
      "mutation($e: ID!) { createVisitor(eventId: $e, input: { registrationState: REGISTERED }) { id revision } }",
      { e: event.id },
      token,
    );
    await receiver.waitForPings(1, 30_000);
    await first.kill();

    const second = await Child.start(vars);
    current = second;
    token = await login(second);
    await receiver.waitForPings(2, 60_000);
    await receiver.until(() => pulls.length === 1, "the pull of the repeated ping", 30_000);
    await waitFor(
      "the repeated ping to be acknowledged",
      async () => {
        const { webhook } = await second.graphql<{
          webhook: { deliveredRevision: number; coveredRevision: number | null };
        }>(WEBHOOK, { e: event.id, id: createWebhook.webhook.id }, token);
        return webhook.coveredRevision === null && webhook.deliveredRevision >= visitor.revision;
      },
      30_000,
    );
    await receiver.idle();

    assert.deepEqual(pulls, [[visitor.id]], "the pull returns the write");
    const [lost, repeated] = receiver.pings;
    assert.equal(receiver.pings.length, 2, "one ping repeated, no more");
    assert.equal(repeated.headers["webhook-id"], lost.headers["webhook-id"], "the same ping, repeated");
    assert.ok(verifyStandardWebhook(createWebhook.secret, repeated.headers, ""));
    await second.kill();
  } finally {
    await receiver.close();
  }
}

describe("webhook delivery across a crash", () => {
  const base = loadEnv();

  it("repeats the unacknowledged ping after a restart (PostgreSQL)", {
    skip: !base.DATABASE_URL && "needs DATABASE_URL",
  }, async () => {
    const db = await createTestDatabase(base.DATABASE_URL);
    const redisPrefix = `visit-test-${randomBytes(6).toString("hex")}`;
    // The child's own pool is enough: this process only made the database.
    await db.database.close();
    try {
      await crashScenario({
        DATABASE_URL: must(db.url, "db.url"),
        ...(base.REDIS_URL && { REDIS_URL: base.REDIS_URL, REDIS_PREFIX: redisPrefix }),
      });
    } finally {
      await db.drop();
      await dropRedisPrefix({ REDIS_URL: base.REDIS_URL, REDIS_PREFIX: redisPrefix });
    }
  });

  it("repeats the unacknowledged ping after a restart (PGlite data folder)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "visit-webhook-crash-"));
    try {
      await crashScenario({ DATA_DIR: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
