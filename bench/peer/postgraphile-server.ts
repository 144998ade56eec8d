// First, before any PostGraphile module: they call Promise.withResolvers (Node 22) on Node 20.
import "./promise-with-resolvers.polyfill.js";
import { createServer } from "node:http";
import type { GraphQLInputType } from "graphql";
import { postgraphile } from "postgraphile";
import type { PgCondition } from "postgraphile/@dataplan/pg";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { addPgTableCondition, jsonPgSmartTags } from "postgraphile/utils";
import { loadEnv } from "@/src/config/env.js";

/**
 * The bench's peer: PostGraphile v5 (its `amber` preset) over the bench database, served by
 * grafserv's Node adaptor, without GraphiQL, watch mode, explain or websockets. Started by
 * run-bench.ts with DATABASE_URL, PORT and HOST, on the same Node binary as the app; the pool is
 * DATABASE_POOL_SIZE connections, like the app's and the baseline's. Everything PostGraphile needs
 * to serve the two compared queries is configured here, never in the app's schema:
 * - `@unique revision`: the column has a unique index (which PostGraphile does not read as a
 *   constraint), so `orderBy: REVISION_ASC` is a complete order and needs no `id` tie-breaker;
 * - `@foreignKey` from visitors.registration_type_id: the app checks that reference itself, so there
 *   is no constraint for PostGraphile to find `registrationTypeByRegistrationTypeId` from;
 * - a `fromRevision` condition (revision >= value), the project's `filter: { fromRevision }`.
 */
const env = loadEnv();
if (!env.DATABASE_URL) {
  console.error("usage: DATABASE_URL=... PORT=... node --import tsx bench/peer/postgraphile-server.ts");
  process.exit(2);
}

const smartTags = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      visitors: {
        tags: {
          unique: "revision",
          foreignKey: "(registration_type_id) references registration_types (id)",
        },
      },
    },
  },
});

const fromRevisionCondition = addPgTableCondition(
  { schemaName: "public", tableName: "visitors" },
  "fromRevision",
  (build) => {
    const { sql } = build;
    const { sqlValueWithCodec, TYPES } = build.dataplanPg;
    return {
      description: "Only visitors with this revision or a later one.",
      type: build.getTypeByName("BigInt") as GraphQLInputType,
      apply(condition: PgCondition, value: unknown) {
        if (value == null) return;
        condition.where(sql`${condition.alias}.revision >= ${sqlValueWithCodec(value, TYPES.bigint)}`);
      },
    };
  },
);

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  plugins: [smartTags, fromRevisionCondition],
  pgServices: [
    makePgService({
      connectionString: env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: env.DATABASE_POOL_SIZE },
    }),
  ],
  grafserv: { graphiql: false, watch: false, websockets: false },
  grafast: { explain: false },
});
// Built before listening, so the first request the bench sends is not the one that waits for it.
await pgl.getSchema();
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server, false);
server.listen(env.PORT, env.HOST);

process.once("SIGTERM", () => {
  server.close(() => void Promise.resolve(pgl.release()).then(() => process.exit(0)));
  server.closeAllConnections();
});
