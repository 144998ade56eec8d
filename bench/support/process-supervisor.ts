import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { must } from "./must.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type ManagedChild = {
  name: string;
  pid: number;
  url: string;
  /** Resident set size in KiB, from /proc (Linux); undefined once the process is gone. */
  rssKb(): number | undefined;
  /** SIGTERM (the app drains), then SIGKILL after 30 s. */
  stop(): Promise<void>;
};

const live = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

/** Registers a cleanup step; steps run in reverse order (children stop before their database drops). */
export function onCleanup(step: () => Promise<void>): void {
  cleanups.push(step);
}

export async function runCleanup(): Promise<void> {
  for (let step = cleanups.pop(); step; step = cleanups.pop()) {
    await step().catch((error: unknown) => console.error("cleanup step failed:", error));
  }
}

/**
 * Ctrl-C or a kill still stops the children and drops the bench database. The `exit` hook is the
 * last resort after a crash: it cannot wait, so it only kills what is left.
 */
export function cleanUpOnExit(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping children and dropping the bench data`);
      void runCleanup().finally(() => process.exit(130));
    });
  }
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/** A port that was free a moment ago on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function readRssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export type StartOptions = {
  name: string;
  /** Script and arguments, run as `node --import tsx ...` from the repository root. */
  args: string[];
  /** The child's whole environment: nothing is inherited, so a developer's settings cannot leak in. */
  env: Record<string, string>;
  port: number;
  logFile: string;
} & (
  | { readyPath: string }
  /** For servers without a health route: resolves true once the server answers as it should. */
  | { readyProbe: (baseUrl: string) => Promise<boolean> }
);

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;

/**
 * Starts a Node child and resolves once `readyPath` answers 200 (or `readyProbe` says so); its output
 * goes to `logFile`.
 */
export async function startChild(options: StartOptions): Promise<ManagedChild> {
  const child = spawn(process.execPath, ["--import", "tsx", ...options.args], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const log = createWriteStream(options.logFile, { flags: "a" });
  let tail = "";
  const keepTail = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4_000);
  };
  child.stdout.on("data", keepTail).pipe(log);
  child.stderr.on("data", keepTail).pipe(log);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      live.delete(child);
      resolve(code);
    });
  });

  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`${options.name} exited (${exitCode}) before it was ready:\n${tail}`);
    }
    const ready = await ("readyProbe" in options
      ? options.readyProbe(url)
      : fetch(`${url}${options.readyPath}`).then((response) => response.ok)
    ).catch(() => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} was not ready after ${READY_TIMEOUT_MS} ms:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const pid = must(child.pid, "child.pid");
  return {
    name: options.name,
    pid,
    url,
    rssKb: () => (live.has(child) ? readRssKb(pid) : undefined),
    async stop() {
      if (!live.has(child)) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
