import { and, asc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { apiUsageDays, apiUsageMinutes, registrationTypes, visitors } from "@/schema/tables/index.js";
import { feedQuery } from "@/src/services/change-feed.js";

/**
 * The statements the app sends for each scenario, built with the app's own drizzle tables and
 * query code, so the baseline runs the same SQL text (unnamed, like drizzle on postgres.js) and
 * stays in step when a table gains a column. Parameters are built from sentinels and filled per request.
 */
const db = drizzle.mock();

export type ParamValue = string | number;
export type Statement = { text: string; params: (values: Record<string, ParamValue>) => ParamValue[] };

/** Maps sentinel parameter values to named request values. */
function statement(query: { sql: string; params: unknown[] }, names: Map<unknown, string>): Statement {
  const positions = query.params.map((param) => names.get(param));
  // Every parameter of these statements is a text, a number or a timestamp drizzle sent as text.
  const fixed = query.params as ParamValue[];
  return {
    text: query.sql,
    params: (values) => positions.map((name, index) => (name ? values[name] : fixed[index])),
  };
}

const ORG = "\u0000org";
const EVENT = "\u0000event";
const ID = "\u0000id";
const FROM_REVISION = 987_654_321;
const FROM = new Date(1_000);
const UNTIL = new Date(2_000);

/** RevisionedStore.get: one visitor by organisation, event and id (tombstones included). */
export const visitorById = statement(
  db
    .select()
    .from(visitors)
    .where(and(eq(visitors.organisationId, ORG), eq(visitors.eventId, EVENT), eq(visitors.id, ID)))
    .toSQL(),
  new Map<unknown, string>([
    [ORG, "organisationId"],
    [EVENT, "eventId"],
    [ID, "id"],
  ]),
);

/** RevisionedStore.page for `visitors(first: 100, filter: {fromRevision})`: 101 rows tell hasNextPage. */
const page = feedQuery(visitors, ORG, EVENT, { first: 100, filter: { fromRevision: FROM_REVISION } });
export const visitorPage = statement(
  db.select().from(visitors).where(page.where).orderBy(asc(visitors.revision)).limit(page.limit).toSQL(),
  new Map<unknown, string>([
    [ORG, "organisationId"],
    [EVENT, "eventId"],
    [FROM_REVISION, "fromRevision"],
    [page.limit, "limit"],
  ]),
);

const typeStatements = new Map<number, Statement>();

/** RegistrationTypeService.byIds (the DataLoader behind Visitor.registrationType) for `count` ids. */
export function registrationTypesByIds(count: number): Statement {
  let found = typeStatements.get(count);
  if (!found) {
    const ids = Array.from({ length: count }, (_, index) => `\u0000type${index}`);
    const query = db
      .select()
      .from(registrationTypes)
      .where(and(eq(registrationTypes.organisationId, ORG), inArray(registrationTypes.id, ids)))
      .toSQL();
    const names = new Map<unknown, string>([
      [ORG, "organisationId"],
      ...ids.map((id, i) => [id, `id${i}`] as const),
    ]);
    found = statement(query, names);
    typeStatements.set(count, found);
  }
  return found;
}

/**
 * StatisticsService.query without type or key filters (a dashboard's "all keys" view): sums per
 * bucket, type and principal. DAY and MONTH read the day table, MINUTE and HOUR the minute table.
 */
function statisticsStatement(resolution: "HOUR" | "DAY"): Statement {
  const table = resolution === "HOUR" ? apiUsageMinutes : apiUsageDays;
  const start = sql<Date>`date_trunc(${sql.raw(`'${resolution.toLowerCase()}'`)}, ${table.start}, 'UTC')`;
  const query = db
    .select({
      start,
      type: table.type,
      principal: table.principal,
      calls: sql<number>`sum(${table.calls})`,
      clientErrors: sql<number>`sum(${table.clientErrors})`,
      serverErrors: sql<number>`sum(${table.serverErrors})`,
    })
    .from(table)
    .where(and(eq(table.organisationId, ORG), gte(table.start, FROM), lt(table.start, UNTIL)))
    .groupBy(start, table.type, table.principal)
    .orderBy(start, table.type, table.principal)
    .toSQL();
  return statement(
    query,
    new Map<unknown, string>([
      [ORG, "organisationId"],
      // drizzle sends timestamps as ISO strings: the sentinels appear in that form.
      [FROM.toISOString(), "from"],
      [UNTIL.toISOString(), "until"],
    ]),
  );
}

export const statistics = { DAY: statisticsStatement("DAY"), HOUR: statisticsStatement("HOUR") };
