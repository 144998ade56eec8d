import "reflect-metadata";
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import { type Env, loadEnv } from "@/src/config/env.js";
import { openDatabase, postgresOptionsFromEnv } from "@/src/db/database.js";
import { createLogger } from "@/src/logger.js";
import type { ResolveHost } from "@/src/net/outbound-address.js";
import { type App, createApp } from "@/src/server/app.js";
import { createTestDatabase, dropRedisPrefix, type TestDatabase } from "./database.js";

export type GqlResult<T = Record<string, unknown>> = {
  status: number;
  headers: Headers;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }[];
};

/** Who a request runs as: a session token or API key (Bearer), raw headers, or nobody. */
export type As = string | { headers: Record<string, string> } | null;

export type TestApp = {
  url: string;
  app: App;
  env: Env;
  db: TestDatabase;
  operatorToken: string;
  admin: { email: string; password: string; token: string };
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { as?: As },
  ): Promise<GqlResult<T>>;
  /** Like gql, but fails the test on any error and returns the data. */
  ok<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { as?: As },
  ): Promise<T>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  login(email: string, password: string): Promise<string>;
  close(): Promise<void>;
};

const headersFor = (as: As | undefined, fallback: string): Record<string, string> => {
  if (as === null) return {};
  if (as === undefined) return { authorization: `Bearer ${fallback}` };
  if (typeof as === "string") return { authorization: `Bearer ${as}` };
  return as.headers;
};

/** POST /graphql as someone: `as` a token or headers, null for nobody, omitted for the admin. */
function gqlClient(url: string, adminToken: () => string) {
  return async <T>(query: string, variables?: Record<string, unknown>, options: { as?: As } = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headersFor(options.as, adminToken()) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GqlResult<T>, "status" | "headers">;
    return { status: response.status, headers: response.headers, ...body } as GqlResult<T>;
  };
}

/**
 * Boots the whole app (HTTP on a random loopback port) on a fresh database: PGlite by default,
 * a new database on the PostgreSQL server of DATABASE_URL when it is set. `resolveHost` replaces
 * DNS for outbound requests (webhooks), for tests of names that resolve differently over time.
 */
export async function startApp(
  overrides: Record<string, string> = {},
  options: {
    resolveHost?: ResolveHost;
    /**
     * PostgreSQL only: the app reaches the test database at this URL instead (a proxy the test
     * controls); the test database itself is still created and dropped directly.
     */
    connectThrough?: (databaseUrl: string) => string;
  } = {},
): Promise<TestApp> {
  const operatorToken = randomBytes(24).toString("hex");
  const admin = { email: "admin@example.test", password: "admin-password-1" };
  const base = loadEnv();
  const db = await createTestDatabase(overrides.DATABASE_URL ?? base.DATABASE_URL);
  const env = loadEnv({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    OPERATOR_TOKEN: operatorToken,
    // Unique per app: tests share one Redis and must not see each other's keys.
    REDIS_PREFIX: `visit-test-${randomBytes(6).toString("hex")}`,
    STATS_FLUSH_MS: "100",
    // No periodic webhook reconcile in the background of tests that count SQL statements; webhook
    // tests that need it set their own.
    WEBHOOK_RECONCILE_MS: "3600000",
    ...overrides,
    ...(db.url && { DATABASE_URL: db.url }),
  });
  const logger = createLogger(env);
  const through =
    options.connectThrough && db.url
      ? await openDatabase({
          driver: "postgres",
          url: options.connectThrough(db.url),
          ...postgresOptionsFromEnv(env, logger),
        })
      : undefined;
  const app = await createApp({
    env,
    logger,
    database: through ?? db.database,
    resolveHost: options.resolveHost,
  }).catch(async (error) => {
    await through?.close();
    await db.drop();
    throw error;
  });
  const port = await app.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;

  const gql = gqlClient(url, () => testApp.admin.token);

  const login = async (email: string, password: string) => {
    const result = await gql<{ login: { token: string } }>(
      "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
      { email, password },
      { as: null },
    );
    if (!result.data) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
    return result.data.login.token;
  };

  const testApp: TestApp = {
    url,
    app,
    env,
    db,
    operatorToken,
    admin: { ...admin, token: "" },
    gql,
    async ok<T>(query: string, variables?: Record<string, unknown>, options?: { as?: As }) {
      const result = await gql<T>(query, variables, options);
      if (result.errors?.length || !result.data) {
        throw new Error(`GraphQL failed (${result.status}): ${JSON.stringify(result.errors)}`);
      }
      return result.data;
    },
    fetch: (path, init) => fetch(`${url}${path}`, init),
    login,
    async close() {
      await app.close();
      await db.drop();
      await dropRedisPrefix(env);
    },
  };
  testApp.admin.token = await login(admin.email, admin.password);
  return testApp;
}

/**
 * Polls `check` until it returns something other than undefined/null/false, or fails after
 * `timeoutMs`. The deadline is on the monotonic clock, so a test that mocks Date still times out.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 2_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Date.now as the test set it: the real clock plus an offset the test moves. */
export type TestClock = { advance(ms: number): void };

/**
 * Replaces Date.now, for the rest of test `ctx`, by the real clock plus `offsetMs`. Date.now is the
 * clock of key expiry, rate-limit windows and statistics buckets (app and test share the process),
 * so a test moves time for them instead of waiting for it to pass. `new Date()` (row timestamps,
 * sessions) keeps the real time.
 */
export function mockClock(ctx: TestContext, offsetMs = 0): TestClock {
  const realNow = Date.now.bind(Date);
  let offset = offsetMs;
  ctx.mock.method(Date, "now", () => realNow() + offset);
  return {
    advance(ms) {
      offset += ms;
    },
  };
}

/**
 * A clock that reads `intoMinuteMs` into a UTC minute now and keeps running, so the calls of a test
 * land in one rate-limit window and one statistics bucket at every resolution.
 */
export function clockInMinute(ctx: TestContext, intoMinuteMs = 5_000): TestClock {
  const now = Date.now();
  return mockClock(ctx, now - (now % 60_000) + intoMinuteMs - now);
}

/** A second app instance: same database (PostgreSQL only), same env, so the same REDIS_PREFIX. */
export type SecondInstance = Pick<TestApp, "url" | "app" | "gql" | "ok">;

/**
 * Starts another instance of the app of `t` on the same PostgreSQL database and the same Redis
 * prefix, as a second replica of a deployment. Closed by `t.close()` (before the database drops).
 * Needs DATABASE_URL: two PGlite instances cannot share one data directory.
 */
export async function startSecondInstance(t: TestApp): Promise<SecondInstance> {
  if (!t.db.url) throw new Error("startSecondInstance needs PostgreSQL (DATABASE_URL)");
  const database = await openDatabase({ driver: "postgres", url: t.db.url, poolSize: 5 });
  const app = await createApp({ env: t.env, logger: createLogger(t.env), database }).catch(async (error) => {
    await database.close();
    throw error;
  });
  const port = await app.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${port}`;
  const gql = gqlClient(url, () => t.admin.token);
  const closeFirst = t.close;
  t.close = async () => {
    await app.close();
    await closeFirst();
  };
  return {
    url,
    app,
    gql,
    async ok<T>(query: string, variables?: Record<string, unknown>, options?: { as?: As }) {
      const result = await gql<T>(query, variables, options);
      if (result.errors?.length || !result.data) {
        throw new Error(`GraphQL failed (${result.status}): ${JSON.stringify(result.errors)}`);
      }
      return result.data;
    },
  };
}
