import "reflect-metadata";
import { ConfigError, loadEnv } from "@/src/config/env.js";
import { openDatabase } from "@/src/db/database.js";
import { createApp } from "@/src/http/app.js";
import { createLogger } from "@/src/logger.js";

async function main() {
  const env = loadEnv();
  const logger = createLogger(env);
  const database = await openDatabase(
    env.DATABASE_URL
      ? { driver: "postgres", url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
      : { driver: "pglite", dataDir: env.DATA_DIR },
  );
  logger.info({ driver: database.driver }, "database ready, migrations applied");
  const app = await createApp({ env, logger, database });
  const port = await app.listen(env.PORT, env.HOST);
  logger.info({ port }, `Visit API listening: GraphQL and playground at http://localhost:${port}/graphql`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: draining in-flight requests");
    // Not unref'd: shutdown always ends in an explicit exit, never in a silent exit 0 when some
    // step's promise is left pending with nothing else keeping the process alive.
    setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS);
    try {
      await app.close();
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
    logger.info("stopped");
    process.exit(0);
  };
  // Prepended: this handler must run before Apollo's own SIGTERM/SIGINT handler
  // (stopOnTerminationSignals), so it is the one that stops Apollo. Apollo 5's stop() never
  // resolves for a second concurrent caller; if Apollo's handler went first, app.close() would
  // hang and the database would never be closed.
  process.prependListener("SIGTERM", () => void stop("SIGTERM"));
  process.prependListener("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error("Visit API failed to start:", error);
  }
  process.exit(1);
});
