import "reflect-metadata";
import { loadEnv } from "@/src/config/env.js";
import { openDatabase, postgresOptionsFromEnv } from "@/src/db/database.js";
import { createLogger } from "@/src/logger.js";
import { createApp } from "./app.js";
import { runProcess } from "./process-lifecycle.js";

/** `npm start`: the API (GraphQL, REST, endpoint functions, playground) and, by default, the task scheduler. */
await runProcess("Visit API", async () => {
  const env = loadEnv();
  const logger = createLogger(env);
  const database = await openDatabase(
    env.DATABASE_URL
      ? { driver: "postgres", url: env.DATABASE_URL, ...postgresOptionsFromEnv(env, logger) }
      : { driver: "pglite", dataDir: env.DATA_DIR },
  );
  logger.info({ driver: database.driver }, "database ready, migrations applied");
  const app = await createApp({ env, logger, database });
  const port = await app.listen(env.PORT, env.HOST);
  logger.info({ port }, `Visit API listening: GraphQL and playground at http://localhost:${port}/graphql`);
  return { logger, timeoutMs: env.SHUTDOWN_TIMEOUT_MS, stop: () => app.close() };
});
