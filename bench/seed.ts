import { performance } from "node:perf_hooks";
import type { BenchInfrastructure } from "./support/bench-infrastructure.js";
import {
  BATCH_SIZE,
  type BulkMeasurement,
  type BulkTarget,
  batchInputs,
  bulkMeasurement,
  importBatch,
  insertBaselineBatch,
} from "./support/bulk-batches.js";
import { type CreatedKey, createApiKey, createEndpointFunction, graphql } from "./support/graphql-client.js";

export type SeedOptions = {
  appUrl: string;
  adminToken: string;
  infrastructure: BenchInfrastructure;
  visitors: number;
  events: number;
  statisticsKeys: number;
  log(line: string): void;
};

/** Ids and revisions in revision order, for the scenarios to pick random records and pages from. */
export type SeededEvent = { id: string; visitorIds: string[]; revisions: number[] };

export type SeedResult = {
  organisationId: string;
  events: SeededEvent[];
  /** Read-only, limits far above the load, all events. */
  loadKey: CreatedKey;
  /** The key both endpoint functions run as (and are called with). */
  functionKey: CreatedKey;
  functionKeys: { constant: string; graphql: string };
  statistics: { keys: number; minuteRows: number; from: Date; until: Date };
  /** The import of the seed itself, batch by batch against the multi-row INSERT baseline. */
  bulk: { app: BulkMeasurement; baseline: BulkMeasurement };
  /**
   * Empty events the write scenarios fill (and the bench empties after each round): single
   * createVisitor calls, createVisitors batches, and the multi-row INSERT baseline's batches.
   */
  writeEvents: { single: BulkTarget; bulk: BulkTarget; bulkBaselineId: string };
};

const HIGH_LIMITS = { rateLimitPerMinute: 1_000_000, concurrencyLimit: 10_000 };
const DAY_MS = 86_400_000;

const CONSTANT_FUNCTION = "export default async function () { return { ok: true }; }";
const GRAPHQL_FUNCTION = `export default async function (ctx) {
  const { eventId, id } = ctx.request.query;
  const result = await visit.graphql(
    "query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { id registrationState contact { firstName lastName email } } }",
    { eventId, id },
  );
  if (result.errors && result.errors.length) return { status: 502, body: result.errors };
  return result.data.visitor;
}`;

/**
 * Seeds through the API itself (events, registration types, visitors via createVisitors in batches,
 * keys, functions), timing the bulk import against a multi-row INSERT baseline, then writes a month of
 * per-minute usage for the statistics keys straight into the usage tables.
 */
export async function seedBench(options: SeedOptions): Promise<SeedResult> {
  const { appUrl, adminToken, infrastructure, log } = options;
  const gql = <T>(query: string, variables?: Record<string, unknown>) =>
    graphql<T>(appUrl, adminToken, query, variables);

  const createEvent = async (name: string) => {
    const data = await gql<{ createEvent: { id: string } }>(
      "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
      {
        input: {
          name,
          start: "2027-03-01T09:00:00Z",
          end: "2027-03-03T18:00:00Z",
          timezone: "Europe/Amsterdam",
        },
      },
    );
    return data.createEvent.id;
  };
  const createType = async (eventId: string | null, name: string) => {
    const data = await gql<{ createRegistrationType: { id: string } }>(
      "mutation($eventId: ID, $input: CreateRegistrationTypeInput!) { createRegistrationType(eventId: $eventId, input: $input) { id } }",
      { eventId, input: { name, kind: "VISITOR" } },
    );
    return data.createRegistrationType.id;
  };

  const orgWideType = await createType(null, "Press");
  const events: (SeededEvent & { typeIds: string[] })[] = [];
  for (let index = 0; index < options.events; index++) {
    const id = await createEvent(`Bench Expo ${index + 1}`);
    const typeIds = [orgWideType];
    for (const name of ["Visitor", "VIP", "Speaker"]) typeIds.push(await createType(id, name));
    events.push({ id, typeIds, visitorIds: [], revisions: [] });
  }
  const baselineEventId = await createEvent("Bench Expo (multi-row INSERT baseline)");
  const writeTarget = async (name: string): Promise<BulkTarget> => {
    const eventId = await createEvent(name);
    return { eventId, typeIds: [orgWideType, await createType(eventId, "Visitor")] };
  };
  const writeEvents = {
    single: await writeTarget("Bench writes (createVisitor)"),
    bulk: await writeTarget("Bench writes (createVisitors)"),
    bulkBaselineId: await createEvent("Bench writes (multi-row INSERT baseline)"),
  };
  const [{ organisation_id: organisationId }] = await infrastructure.sql<{ organisation_id: string }[]>`
    select organisation_id from events where id = ${baselineEventId}`;
  log(`seed: ${options.events} events with 4 registration types each, organisation ${organisationId}`);

  // createVisitors answers in revision order and batches run one after another: ids stay sorted.
  const bulk = await importVisitors(options, events, baselineEventId, organisationId);

  const loadKey = await createApiKey(appUrl, adminToken, { comments: "bench load", ...HIGH_LIMITS });
  const functionKey = await createApiKey(appUrl, adminToken, { comments: "bench functions", ...HIGH_LIMITS });
  const functionKeys = { constant: "bench-constant", graphql: "bench-graphql" };
  await createEndpointFunction(appUrl, adminToken, {
    name: "Bench constant",
    key: functionKeys.constant,
    code: CONSTANT_FUNCTION,
    apiKeyId: functionKey.id,
  });
  await createEndpointFunction(appUrl, adminToken, {
    name: "Bench visit.graphql",
    key: functionKeys.graphql,
    code: GRAPHQL_FUNCTION,
    apiKeyId: functionKey.id,
  });
  const statisticsKeyIds: string[] = [];
  for (let index = 0; index < options.statisticsKeys; index++) {
    statisticsKeyIds.push((await createApiKey(appUrl, adminToken, { comments: `bench stats ${index}` })).id);
  }
  const statistics = await seedUsage(infrastructure, organisationId, statisticsKeyIds, log);

  log("seed: VACUUM ANALYZE (as autovacuum would have, after a bulk load)");
  await infrastructure.sql.unsafe("vacuum analyze");
  return {
    organisationId: organisationId,
    events: events.map(({ id, visitorIds, revisions }) => ({ id, visitorIds, revisions })),
    loadKey,
    functionKey,
    functionKeys,
    statistics,
    bulk,
    writeEvents,
  };
}

/**
 * Batch by batch, alternating: createVisitors through the API into the bench events (round robin),
 * then the same inputs as one multi-row INSERT into the baseline event, so both see the same table
 * and index sizes. Each side is timed on its own; nothing runs concurrently.
 */
async function importVisitors(
  options: SeedOptions,
  events: (SeededEvent & { typeIds: string[] })[],
  baselineEventId: string,
  organisationId: string,
): Promise<SeedResult["bulk"]> {
  const { sql } = options.infrastructure;
  const batches = Math.ceil(options.visitors / BATCH_SIZE);
  const appTimes: number[] = [];
  const baselineTimes: number[] = [];
  let rows = 0;
  for (let batch = 0; batch < batches; batch++) {
    const event = events[batch % events.length];
    const size = Math.min(BATCH_SIZE, options.visitors - rows);
    const inputs = batchInputs(rows, event.typeIds, size);
    const started = performance.now();
    const created = await importBatch(options.appUrl, options.adminToken, event.id, inputs);
    appTimes.push(performance.now() - started);
    for (const visitor of created) {
      event.visitorIds.push(visitor.id);
      event.revisions.push(visitor.revision);
    }

    const baselineStarted = performance.now();
    await insertBaselineBatch(sql, inputs, { organisationId, eventId: baselineEventId });
    baselineTimes.push(performance.now() - baselineStarted);
    rows += size;
    if ((batch + 1) % 10 === 0 || batch === batches - 1) {
      options.log(`seed: imported ${rows}/${options.visitors} visitors (and as many baseline rows)`);
    }
  }
  return { app: bulkMeasurement(rows, appTimes), baseline: bulkMeasurement(rows, baselineTimes) };
}

/**
 * One month (30 whole days up to today's midnight UTC, plus today until the current minute) of
 * per-minute GRAPHQL usage for each key, and the matching day rows, as the usage recorder writes them.
 */
async function seedUsage(
  infrastructure: BenchInfrastructure,
  organisationId: string,
  keyIds: string[],
  log: (line: string) => void,
): Promise<SeedResult["statistics"]> {
  const { sql } = infrastructure;
  const until = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  const from = new Date(Math.floor(until.getTime() / DAY_MS) * DAY_MS - 30 * DAY_MS);
  let minuteRows = 0;
  const chunk = 10;
  for (let index = 0; index < keyIds.length; index += chunk) {
    const principals = keyIds.slice(index, index + chunk).map((id) => `key:${id}`);
    const inserted = await sql`
      insert into api_usage_minutes (organisation_id, principal, type, start, calls, client_errors, server_errors)
      select ${organisationId}, principal, 'GRAPHQL', minute, 1 + floor(random() * 30)::int,
             (random() < 0.05)::int, (random() < 0.001)::int
      from unnest(${principals}::text[]) as principal
      cross join generate_series(${from}::timestamptz, ${until}::timestamptz - interval '1 minute', interval '1 minute') as minute`;
    minuteRows += inserted.count;
    log(
      `seed: usage minutes for ${Math.min(index + chunk, keyIds.length)}/${keyIds.length} keys (${minuteRows} rows)`,
    );
  }
  await sql`
    insert into api_usage_days (organisation_id, principal, type, start, calls, client_errors, server_errors)
    select organisation_id, principal, type, date_trunc('day', start, 'UTC'),
           sum(calls), sum(client_errors), sum(server_errors)
    from api_usage_minutes
    where organisation_id = ${organisationId} and principal = any(${keyIds.map((id) => `key:${id}`)}::text[])
    group by 1, 2, 3, 4`;
  return { keys: keyIds.length, minuteRows, from, until };
}
