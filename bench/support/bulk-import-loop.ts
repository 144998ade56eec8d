import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BulkMeasurement, BulkTarget } from "./bulk-batches.js";
import { onCleanup, REPO_ROOT } from "./process-supervisor.js";

/**
 * Bulk imports running beside a measurement: a child process (its own event loop and connections,
 * so the load generator's process is not the one building 1,000-visitor requests) that calls
 * createVisitors x1000 one batch after another until told to stop.
 */
export type StartMessage = { appUrl: string; token: string; target: BulkTarget; firstSerial: number };
export type ChildMessage =
  | { type: "batch" }
  | { type: "done"; measurement: BulkMeasurement }
  | { type: "failed"; error: string };

const CHILD = fileURLToPath(new URL("./bulk-import-child.ts", import.meta.url));

export type BulkImportLoop = {
  /** Lets the batch in flight finish, then reports the loop's own rows per second. */
  stop(): Promise<BulkMeasurement>;
};

/** Forks the loop and resolves once its first batch is done, so what follows meets a steady load. */
export async function startBulkImportLoop(start: StartMessage): Promise<BulkImportLoop> {
  const child = fork(CHILD, [], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    env: { NODE_ENV: "production" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  onCleanup(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  child.send(start);
  await nextMessage(child, "batch");
  return {
    async stop() {
      child.send("stop");
      const done = await nextMessage(child, "done");
      if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
      return (done as Extract<ChildMessage, { type: "done" }>).measurement;
    },
  };
}

/** The next message of `type`; rejects when the child reports a failure or exits first. */
function nextMessage(child: ChildProcess, type: ChildMessage["type"]): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === "failed") settle(() => reject(new Error(`bulk import loop: ${message.error}`)));
      else if (message.type === type) settle(() => resolve(message));
    };
    const onExit = (code: number | null) =>
      settle(() => reject(new Error(`the bulk import loop exited (${code}) before "${type}"`)));
    const settle = (then: () => void) => {
      child.off("message", onMessage);
      child.off("exit", onExit);
      then();
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
