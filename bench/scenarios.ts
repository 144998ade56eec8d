import type { SeedResult } from "./seed.js";

export type HttpRequest = { method: string; path: string; headers: Record<string, string>; body?: string };

export type Scenario = {
  name: string;
  server: "app" | "baseline";
  /** The baseline scenario this one's throughput is divided by in the ratio column. */
  baseline?: string;
  /** A fresh request: random records and pages, so the load is not one cached row. */
  next(): HttpRequest;
  /** 2xx, and for GraphQL no `errors`: anything else is counted as an error. */
  ok(status: number, body: string): boolean;
};

export type StatisticsResolution = "DAY" | "HOUR";

export const SCENARIO = {
  baselineById: "baseline: visitor by id",
  baselineList: "baseline: visitors list of 100",
  baselineStatistics: "baseline: statistics SQL",
  graphqlById: "GraphQL visitor by id",
  graphqlList: "GraphQL visitors(first: 100)",
  jsonById: "REST JSON visitor by id",
  jsonList: "REST JSON list of 100",
  xmlById: "REST XML visitor by id",
  xmlList: "REST XML list of 100",
  functionConstant: "function: constant",
  functionGraphql: "function: visit.graphql once",
  statistics: "GraphQL apiStatistics",
} as const;

const CONTACT =
  "firstName lastName email company jobTitle phone reference address { street street2 postalCode city region country }";
const VISITOR = `id eventId registrationState registrationTypeId reference revision deleted createdAt updatedAt
  contact { ${CONTACT} } answers { questionId answerIds text }`;
const VISITOR_QUERY = `query Visitor($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR} } }`;
const VISITORS_QUERY = `query Visitors($eventId: ID!, $fromRevision: Revision) {
  visitors(eventId: $eventId, first: 100, filter: { fromRevision: $fromRevision }) {
    edges { cursor node { ${VISITOR} registrationType { id name kind reference } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const STATISTICS_QUERY = `query Statistics($from: DateTimeISO!, $until: DateTimeISO!, $resolution: StatisticsResolution!) {
  apiStatistics(from: $from, until: $until, resolution: $resolution) { start type apiKeyId userId calls errors }
}`;

const random = (below: number) => Math.floor(Math.random() * below);

/**
 * The scenarios of issue 6 and their baselines. Every list request starts at a random revision of a
 * random event with at least 100 records after it (when it has that many), so each page is full.
 */
export function buildScenarios(
  seed: SeedResult,
  adminToken: string,
  resolution: StatisticsResolution,
): Scenario[] {
  // Below 10,000 visitors some events get no batch of their own.
  const events = seed.events.filter((event) => event.visitorIds.length > 0);
  const anyVisitor = () => {
    const event = events[random(events.length)]!;
    return { eventId: event.id, id: event.visitorIds[random(event.visitorIds.length)]! };
  };
  const anyPage = () => {
    const event = events[random(events.length)]!;
    const last = Math.max(1, event.revisions.length - 100);
    return { eventId: event.id, fromRevision: event.revisions[random(last)]! };
  };
  const keyAuth = { authorization: `Bearer ${seed.loadKey.secret}` };
  const functionAuth = { authorization: `Bearer ${seed.functionKey.secret}` };
  const get = (path: string, headers: Record<string, string> = {}): HttpRequest => ({
    method: "GET",
    path,
    headers,
  });
  const post = (variables: Record<string, unknown>, query: string, token: string): HttpRequest => ({
    method: "POST",
    path: "/graphql",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const success = (status: number) => status >= 200 && status < 300;
  const graphqlSuccess = (status: number, body: string) => success(status) && !body.includes('"errors":[');
  const statisticsWindow = {
    from: seed.statistics.from.toISOString(),
    until: seed.statistics.until.toISOString(),
    resolution,
  };
  const statisticsQuery = new URLSearchParams(statisticsWindow).toString();

  return [
    {
      name: SCENARIO.baselineById,
      server: "baseline",
      next: () => {
        const { eventId, id } = anyVisitor();
        return get(`/visitors/${eventId}/${id}`);
      },
      ok: success,
    },
    {
      name: SCENARIO.baselineList,
      server: "baseline",
      next: () => {
        const { eventId, fromRevision } = anyPage();
        return get(`/visitors/${eventId}?fromRevision=${fromRevision}`);
      },
      ok: success,
    },
    {
      name: `${SCENARIO.baselineStatistics} (${resolution})`,
      server: "baseline",
      next: () => get(`/statistics?${statisticsQuery}`),
      ok: success,
    },
    {
      name: SCENARIO.graphqlById,
      server: "app",
      baseline: SCENARIO.baselineById,
      next: () => post(anyVisitor(), VISITOR_QUERY, seed.loadKey.secret),
      ok: graphqlSuccess,
    },
    {
      name: SCENARIO.graphqlList,
      server: "app",
      baseline: SCENARIO.baselineList,
      next: () => post(anyPage(), VISITORS_QUERY, seed.loadKey.secret),
      ok: graphqlSuccess,
    },
    ...(["json", "xml"] as const).flatMap((format): Scenario[] => [
      {
        name: format === "json" ? SCENARIO.jsonById : SCENARIO.xmlById,
        server: "app",
        baseline: SCENARIO.baselineById,
        next: () => {
          const { eventId, id } = anyVisitor();
          return get(`/${format}/visitors/${eventId}/${id}`, keyAuth);
        },
        ok: success,
      },
      {
        name: format === "json" ? SCENARIO.jsonList : SCENARIO.xmlList,
        server: "app",
        baseline: SCENARIO.baselineList,
        next: () => {
          const { eventId, fromRevision } = anyPage();
          return get(`/${format}/visitors/${eventId}?limit=100&fromRevision=${fromRevision}`, keyAuth);
        },
        ok: success,
      },
    ]),
    {
      name: SCENARIO.functionConstant,
      server: "app",
      baseline: SCENARIO.baselineById,
      next: () => get(`/functions/${seed.functionKeys.constant}`, functionAuth),
      ok: success,
    },
    {
      name: SCENARIO.functionGraphql,
      server: "app",
      baseline: SCENARIO.baselineById,
      next: () => {
        const { eventId, id } = anyVisitor();
        return get(`/functions/${seed.functionKeys.graphql}?eventId=${eventId}&id=${id}`, functionAuth);
      },
      ok: success,
    },
    {
      name: `${SCENARIO.statistics} (month, ${resolution}, ${seed.statistics.keys} keys)`,
      server: "app",
      baseline: `${SCENARIO.baselineStatistics} (${resolution})`,
      next: () => post(statisticsWindow, STATISTICS_QUERY, adminToken),
      ok: graphqlSuccess,
    },
  ];
}
