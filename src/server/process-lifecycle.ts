import type { Logger } from "pino";
import { ConfigError } from "@/src/config/env.js";

/**
 * The life of a server or worker process: start, then on SIGTERM/SIGINT run `stop` once and exit 0,
 * or exit 1 when it fails or takes longer than `timeoutMs`. A start that fails exits 1, with just
 * the message for a configuration error.
 */
export async function runProcess(
  name: string,
  start: () => Promise<{ logger: Logger; timeoutMs: number; stop(): Promise<void> }>,
): Promise<void> {
  let started: Awaited<ReturnType<typeof start>>;
  try {
    started = await start();
  } catch (error) {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`${name} failed to start:`, error);
    process.exit(1);
  }
  const { logger, timeoutMs, stop } = started;
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: draining in-flight work");
    // Not unref'd: shutdown always ends in an explicit exit, never in a silent exit 0 when some
    // step's promise is left pending with nothing else keeping the process alive.
    setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, timeoutMs);
    try {
      await stop();
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void onSignal("SIGTERM"));
  process.on("SIGINT", () => void onSignal("SIGINT"));
}
