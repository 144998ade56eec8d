import "reflect-metadata";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadEnv } from "@/src/config/env.js";

// SPEC section 8: the environment variables, their defaults, and "invalid configuration stops the
// start with a message naming the variable". The test process's own environment never leaks in:
// every variable it has is blanked in the overrides (process.env itself is never touched).

const ROOT = join(import.meta.dirname, "..");

/** loadEnv as on a machine with nothing set but `vars`. */
function envWith(vars: Record<string, string> = {}) {
  const blank = Object.fromEntries(Object.keys(process.env).map((name) => [name, undefined]));
  return loadEnv({ ...blank, ...vars });
}

/** Asserts loadEnv refuses `vars` with a ConfigError whose message has a line for `variable`. */
function assertRefused(vars: Record<string, string>, variable: string) {
  assert.throws(
    () => envWith(vars),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `ConfigError for ${JSON.stringify(vars)}`);
      assert.match(error.message, new RegExp(`^\\s*${variable}:`, "m"), `names ${variable}`);
      return true;
    },
  );
}

describe("configuration (SPEC section 8)", () => {
  it("has the documented defaults", () => {
    const env = envWith();
    assert.equal(env.PORT, 4000);
    assert.equal(env.DATA_DIR, "./.data");
    assert.equal(env.FUNCTION_INTERVAL_MS, 540_000);
    assert.equal(env.ORG_NAME, "Default");
    assert.equal(env.DATABASE_URL, undefined, "unset: embedded PGlite");
    assert.equal(env.REDIS_URL, undefined, "unset: in-process scheduler and limits");
    assert.equal(env.ADMIN_EMAIL, undefined);
    assert.equal(env.ADMIN_PASSWORD, undefined);
    assert.equal(env.OPERATOR_TOKEN, undefined, "unset: no operator access");
    assert.equal(env.TRUST_PROXY, false);
    assert.deepEqual(env.FUNCTION_FETCH_ALLOW, []);
    assert.equal(env.LOG_LEVEL, "info");
  });

  it("reads the variables it is given", () => {
    const env = envWith({
      PORT: "8080",
      DATABASE_URL: "postgresql://visit@db.internal:5432/visit",
      REDIS_URL: "rediss://cache.internal:6380",
      DATA_DIR: "/var/lib/visit",
      ADMIN_EMAIL: "admin@example.test",
      ADMIN_PASSWORD: "long-enough-1",
      ORG_NAME: "Expo Co",
      FUNCTION_INTERVAL_MS: "60000",
      FUNCTION_FETCH_ALLOW: "crm.internal, 10.1.2.3",
      LOG_LEVEL: "debug",
    });
    assert.equal(env.PORT, 8080);
    assert.equal(env.DATABASE_URL, "postgresql://visit@db.internal:5432/visit");
    assert.equal(env.REDIS_URL, "rediss://cache.internal:6380");
    assert.equal(env.DATA_DIR, "/var/lib/visit");
    assert.equal(env.ADMIN_EMAIL, "admin@example.test");
    assert.equal(env.ORG_NAME, "Expo Co");
    assert.equal(env.FUNCTION_INTERVAL_MS, 60_000);
    assert.deepEqual(env.FUNCTION_FETCH_ALLOW, ["crm.internal", "10.1.2.3"]);
    assert.equal(env.LOG_LEVEL, "debug");
    assert.equal(
      envWith({ DATABASE_URL: "postgres://localhost/visit" }).DATABASE_URL,
      "postgres://localhost/visit",
    );
    assert.equal(envWith({ DATABASE_URL: "" }).DATABASE_URL, undefined, "empty means unset");
  });

  it("parses TRUST_PROXY as Express's trust proxy setting", () => {
    assert.equal(envWith({ TRUST_PROXY: "false" }).TRUST_PROXY, false);
    assert.equal(envWith({ TRUST_PROXY: "true" }).TRUST_PROXY, true);
    assert.equal(envWith({ TRUST_PROXY: "2" }).TRUST_PROXY, 2);
    assert.deepEqual(envWith({ TRUST_PROXY: "10.0.0.0/8,::1" }).TRUST_PROXY, ["10.0.0.0/8", "::1"]);
    assert.deepEqual(envWith({ TRUST_PROXY: " 192.168.0.1 , fd00::/8 " }).TRUST_PROXY, [
      "192.168.0.1",
      "fd00::/8",
    ]);
  });

  it("refuses invalid values, naming the variable", () => {
    assertRefused({ PORT: "abc" }, "PORT");
    assertRefused({ PORT: "70000" }, "PORT");
    assertRefused({ DATABASE_URL: "mysql://x" }, "DATABASE_URL");
    assertRefused({ REDIS_URL: "http://x" }, "REDIS_URL");
    assertRefused({ TRUST_PROXY: "not-an-ip" }, "TRUST_PROXY");
    // Legacy IPv4 shorthands would silently trust another address (10.1.2 is 10.1.0.2; 010 is octal).
    assertRefused({ TRUST_PROXY: "10.1.2" }, "TRUST_PROXY");
    assertRefused({ TRUST_PROXY: "010.0.0.1" }, "TRUST_PROXY");
    assertRefused({ TRUST_PROXY: "10.0.0.0/8,nope" }, "TRUST_PROXY");
    assertRefused({ LOG_LEVEL: "loud" }, "LOG_LEVEL");
    assertRefused({ FUNCTION_INTERVAL_MS: "soon" }, "FUNCTION_INTERVAL_MS");
    assertRefused({ ADMIN_EMAIL: "not-an-email", ADMIN_PASSWORD: "long-enough-1" }, "ADMIN_EMAIL");
  });

  it("refuses ADMIN_EMAIL and ADMIN_PASSWORD one without the other", () => {
    const halves: Record<string, string>[] = [
      { ADMIN_EMAIL: "admin@example.test" },
      { ADMIN_PASSWORD: "long-enough-1" },
    ];
    for (const vars of halves) {
      assert.throws(
        () => envWith(vars),
        (error: unknown) =>
          error instanceof ConfigError &&
          /ADMIN_EMAIL/.test(error.message) &&
          /ADMIN_PASSWORD/.test(error.message),
      );
    }
  });

  it("names every bad variable at once", () => {
    assert.throws(
      () => envWith({ PORT: "abc", LOG_LEVEL: "loud" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^\s*PORT:/m.test(error.message) &&
        /^\s*LOG_LEVEL:/m.test(error.message),
    );
  });

  it("stops the real server at start with a message naming the variable", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "visit-config-"));
    try {
      const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "abc", DATA_DIR: dataDir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => {
        output += chunk;
      });
      child.stderr.on("data", (chunk) => {
        output += chunk;
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      clearTimeout(timer);
      assert.notEqual(code, 0, "non-zero exit");
      assert.notEqual(code, null, "exited by itself");
      assert.match(output, /PORT/);
      assert.doesNotMatch(output, /listening/);
      assert.deepEqual(await readdir(dataDir), [], "no database was created");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
