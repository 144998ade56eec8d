import express, { type Response } from "express";
import postgres from "postgres";
import { loadEnv } from "@/src/config/env.js";
import { registrationTypesByIds, statistics, visitorById, visitorPage } from "./baseline-sql.js";

/**
 * The bench's stand-in for the physical limit: Express 5 and postgres.js running the app's own SQL
 * (see baseline-sql.ts) on the same database with the same pool size, answering JSON.stringify of
 * the rows. No authentication, GraphQL, validation or mapping. Started by run-bench.ts with
 * DATABASE_URL, PORT and HOST; the organisation id is its one argument.
 */
const env = loadEnv();
const organisationId = process.argv[2];
if (!env.DATABASE_URL || !organisationId) {
  console.error(
    "usage: DATABASE_URL=... PORT=... node --import tsx bench/baseline-server.ts <organisationId>",
  );
  process.exit(2);
}
const PAGE_SIZE = 100;
const client = postgres(env.DATABASE_URL, { max: env.DATABASE_POOL_SIZE, onnotice: () => {} });

const send = (res: Response, value: unknown) => res.type("application/json").send(JSON.stringify(value));

const app = express();
app.disable("x-powered-by");
app.get("/healthz", (_req, res) => {
  res.json({ status: "ok" });
});

app.get("/visitors/:eventId/:id", async (req, res) => {
  const [row] = await client.unsafe(
    visitorById.text,
    visitorById.params({ organisationId, eventId: req.params.eventId, id: req.params.id }),
  );
  if (!row) return void res.status(404).end();
  send(res, row);
});

// A page in revision order plus its registration types, looked up as the GraphQL DataLoader does.
app.get("/visitors/:eventId", async (req, res) => {
  const rows = await client.unsafe(
    visitorPage.text,
    visitorPage.params({
      organisationId,
      eventId: req.params.eventId,
      fromRevision: Number(req.query.fromRevision ?? 0),
      limit: PAGE_SIZE + 1,
    }),
  );
  const visitors = rows.slice(0, PAGE_SIZE);
  const typeIds = [
    ...new Set(visitors.map((row) => row.registration_type_id as string | null).filter((id) => id !== null)),
  ];
  const byIds = registrationTypesByIds(typeIds.length);
  const types =
    typeIds.length === 0
      ? []
      : await client.unsafe(
          byIds.text,
          byIds.params({
            organisationId,
            ...Object.fromEntries(typeIds.map((id, index) => [`id${index}`, id])),
          }),
        );
  send(res, { visitors, hasNextPage: rows.length > PAGE_SIZE, registrationTypes: types });
});

app.get("/statistics", async (req, res) => {
  const resolution = req.query.resolution === "HOUR" ? "HOUR" : "DAY";
  const query = statistics[resolution];
  const rows = await client.unsafe(
    query.text,
    query.params({ organisationId, from: String(req.query.from), until: String(req.query.until) }),
  );
  send(res, rows);
});

const server = app.listen(env.PORT, env.HOST);
process.once("SIGTERM", () => {
  server.close(() => void client.end({ timeout: 5 }).then(() => process.exit(0)));
  server.closeAllConnections();
});
