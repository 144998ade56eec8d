import { PEER_QUERIES, peerVariables } from "./peer/postgraphile-queries.js";
import type { SeedResult } from "./seed.js";
import { PROJECT_QUERIES } from "./support/project-queries.js";
import { visitorInput } from "./support/visitor-data.js";

export type HttpRequest = { method: string; path: string; headers: Record<string, string>; body?: string };

export type Scenario = {
  name: string;
  /** The app, the bare Express + postgres.js baseline, or the PostGraphile peer. */
  server: "app" | "baseline" | "peer";
  /** The baseline scenario this one's throughput is divided by in the ratio column. */
  baseline?: string;
  /** The PostGraphile scenario doing the same work, for the project/PostGraphile column. */
  peer?: string;
  /** Creates visitors (in the seed's write events, which the bench empties after the scenario). */
  writes?: true;
  /** Measured while another process imports visitors with createVisitors x1000 in a loop. */
  alongsideBulkImport?: true;
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
  peerById: "PostGraphile: visitorByRowId",
  peerList: "PostGraphile: allVisitors(first: 100)",
  jsonById: "REST JSON visitor by id",
  jsonList: "REST JSON list of 100",
  xmlById: "REST XML visitor by id",
  xmlList: "REST XML list of 100",
  functionConstant: "function: constant",
  functionGraphql: "function: visit.graphql once",
  statistics: "GraphQL apiStatistics",
  bulk: "bulk: createVisitors x1000 (rows/s)",
  baselineBulk: "baseline: multi-row INSERT x1000 (rows/s)",
  writesAlone: "writes: createVisitor alone",
  writesDuringBulk: "writes: createVisitor during bulk imports",
} as const;

const random = (below: number) => Math.floor(Math.random() * below);

/** Serials of the visitors the write scenarios create, far above the seed's. */
const FIRST_WRITE_SERIAL = 1_000_000_000;

/**
 * The scenarios of issues 6 and 11, their baselines and the PostGraphile peer, grouped so that what
 * is compared runs back to back. Every list request starts at a random revision of a random event
 * with at least 100 records after it (when it has that many), so each page is full.
 */
export function buildScenarios(
  seed: SeedResult,
  adminToken: string,
  resolution: StatisticsResolution,
): Scenario[] {
  // Below 10,000 visitors some events get no batch of their own.
  const events = seed.events.filter((event) => event.visitorIds.length > 0);
  const anyVisitor = () => {
    const event = events[random(events.length)];
    return { eventId: event.id, id: event.visitorIds[random(event.visitorIds.length)] };
  };
  const anyPage = () => {
    const event = events[random(events.length)];
    const last = Math.max(1, event.revisions.length - 100);
    return { eventId: event.id, fromRevision: event.revisions[random(last)] };
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
  const peerPost = (variables: Record<string, unknown>, query: string): HttpRequest => ({
    method: "POST",
    path: "/graphql",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  let writeSerial = FIRST_WRITE_SERIAL;
  const { single } = seed.writeEvents;
  const createVisitor = () =>
    post(
      { eventId: single.eventId, input: visitorInput(writeSerial++, single.typeIds) },
      PROJECT_QUERIES.createVisitor,
      adminToken,
    );

  const byId = (format: "json" | "xml"): Scenario => ({
    name: format === "json" ? SCENARIO.jsonById : SCENARIO.xmlById,
    server: "app",
    baseline: SCENARIO.baselineById,
    next: () => {
      const { eventId, id } = anyVisitor();
      return get(`/${format}/visitors/${eventId}/${id}`, keyAuth);
    },
    ok: success,
  });
  const list = (format: "json" | "xml"): Scenario => ({
    name: format === "json" ? SCENARIO.jsonList : SCENARIO.xmlList,
    server: "app",
    baseline: SCENARIO.baselineList,
    next: () => {
      const { eventId, fromRevision } = anyPage();
      return get(`/${format}/visitors/${eventId}?limit=100&fromRevision=${fromRevision}`, keyAuth);
    },
    ok: success,
  });

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
      name: SCENARIO.graphqlById,
      server: "app",
      baseline: SCENARIO.baselineById,
      peer: SCENARIO.peerById,
      next: () => post(anyVisitor(), PROJECT_QUERIES.visitor, seed.loadKey.secret),
      ok: graphqlSuccess,
    },
    {
      name: SCENARIO.peerById,
      server: "peer",
      baseline: SCENARIO.baselineById,
      next: () => peerPost(peerVariables.visitor(anyVisitor()), PEER_QUERIES.visitor),
      ok: graphqlSuccess,
    },
    byId("json"),
    byId("xml"),
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
      name: SCENARIO.graphqlList,
      server: "app",
      baseline: SCENARIO.baselineList,
      peer: SCENARIO.peerList,
      next: () => post(anyPage(), PROJECT_QUERIES.visitors, seed.loadKey.secret),
      ok: graphqlSuccess,
    },
    {
      name: SCENARIO.peerList,
      server: "peer",
      baseline: SCENARIO.baselineList,
      next: () => peerPost(peerVariables.visitors(anyPage()), PEER_QUERIES.visitors),
      ok: graphqlSuccess,
    },
    list("json"),
    list("xml"),
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
      name: `${SCENARIO.baselineStatistics} (${resolution})`,
      server: "baseline",
      next: () => get(`/statistics?${statisticsQuery}`),
      ok: success,
    },
    {
      name: `${SCENARIO.statistics} (month, ${resolution}, ${seed.statistics.keys} keys)`,
      server: "app",
      baseline: `${SCENARIO.baselineStatistics} (${resolution})`,
      next: () => post(statisticsWindow, PROJECT_QUERIES.statistics, adminToken),
      ok: graphqlSuccess,
    },
    {
      name: SCENARIO.writesAlone,
      server: "app",
      writes: true,
      next: createVisitor,
      ok: graphqlSuccess,
    },
    {
      name: SCENARIO.writesDuringBulk,
      server: "app",
      baseline: SCENARIO.writesAlone,
      writes: true,
      alongsideBulkImport: true,
      next: createVisitor,
      ok: graphqlSuccess,
    },
  ];
}
