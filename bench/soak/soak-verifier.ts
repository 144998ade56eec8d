import { graphql } from "../support/graphql-client.js";
import type { SoakInstance } from "./soak-http.js";
import { difference, type ExpectedVisitor, type SoakLedger } from "./soak-ledger.js";

export type Check = { name: string; value: string; pass: boolean; details?: string[] };

type FeedEntry = {
  id: string;
  revision: number;
  deleted: boolean;
  registrationState: string;
  reference: string;
  lastName: string;
};

const FIELDS = "id revision deleted registrationState reference contact { lastName }";
type GraphqlNode = Omit<FeedEntry, "lastName"> & { contact: { lastName: string } };
const flatten = ({ contact, ...rest }: GraphqlNode): FeedEntry => ({ ...rest, lastName: contact.lastName });

const BATCH = 50;
const MAX_DETAILS = 10;

/**
 * Every acknowledged write is readable with its final state: each visitor read by id (50 per
 * GraphQL request, by aliases), batches alternating between the instances.
 */
export async function verifyReadable(
  instances: SoakInstance[],
  token: string,
  ledger: SoakLedger,
): Promise<Check> {
  const visitors = [...ledger.visitors.values()];
  const problems: string[] = [];
  for (let start = 0; start < visitors.length; start += BATCH) {
    const batch = visitors.slice(start, start + BATCH);
    const instance = instances[(start / BATCH) % instances.length];
    const found = await readBatch(instance.url, token, batch).catch(async () => {
      // One missing visitor nulls the whole answer (visitor is non-null): find it one by one.
      const single = await Promise.all(
        batch.map((visitor) => readBatch(instance.url, token, [visitor]).catch(() => [])),
      );
      return single.flat();
    });
    const byId = new Map(found.map((entry) => [entry.id, entry]));
    for (const visitor of batch) {
      const actual = byId.get(visitor.id);
      const wrong = actual ? difference(visitor, actual) : `${visitor.id}: not readable on ${instance.name}`;
      if (wrong) problems.push(wrong);
    }
  }
  return {
    name: "every acknowledged write readable with its final state",
    value: `${visitors.length - problems.length}/${visitors.length} visitors (${ledger.acknowledgedWrites} writes)`,
    pass: problems.length === 0,
    details: problems.slice(0, MAX_DETAILS),
  };
}

async function readBatch(url: string, token: string, batch: ExpectedVisitor[]): Promise<FeedEntry[]> {
  const variables: Record<string, string> = {};
  const definitions: string[] = [];
  const fields = batch.map((visitor, index) => {
    variables[`e${index}`] = visitor.eventId;
    variables[`i${index}`] = visitor.id;
    definitions.push(`$e${index}: ID!, $i${index}: ID!`);
    return `v${index}: visitor(eventId: $e${index}, id: $i${index}) { ${FIELDS} }`;
  });
  const data = await graphql<Record<string, GraphqlNode>>(
    url,
    token,
    `query(${definitions.join(", ")}) { ${fields.join(" ")} }`,
    variables,
  );
  return Object.values(data).map(flatten);
}

/**
 * Pages a whole change feed and checks SPEC section 2: each record exactly once, in strictly
 * increasing revision order, and each acknowledged visitor at its final state.
 */
function checkFeed(name: string, feeds: Map<string, FeedEntry[]>, ledger: SoakLedger): Check {
  const problems: string[] = [];
  let records = 0;
  let unacknowledged = 0;
  for (const [eventId, entries] of feeds) {
    const seen = new Set<string>();
    entries.forEach((entry, index) => {
      if (seen.has(entry.id)) problems.push(`${eventId}: ${entry.id} appears twice`);
      seen.add(entry.id);
      const previous = entries[index - 1];
      if (previous && entry.revision <= previous.revision) {
        problems.push(`${eventId}: revision ${entry.revision} after ${previous.revision}`);
      }
      const expected = ledger.visitors.get(entry.id);
      if (!expected) unacknowledged++;
      const wrong = expected && difference(expected, entry);
      if (wrong) problems.push(wrong);
    });
    records += entries.length;
    for (const visitor of ledger.visitors.values()) {
      if (visitor.eventId === eventId && !seen.has(visitor.id))
        problems.push(`${visitor.id} missing from the feed`);
    }
  }
  return {
    name,
    value:
      `${records} records, ${problems.length} problems` +
      (unacknowledged > 0 ? `, ${unacknowledged} from writes never acknowledged` : ""),
    pass: problems.length === 0,
    details: problems.slice(0, MAX_DETAILS),
  };
}

/** GraphQL Relay paging: `visitors(first: 100, after: endCursor)` from the start. */
export async function verifyGraphqlFeed(
  instance: SoakInstance,
  token: string,
  eventIds: string[],
  ledger: SoakLedger,
): Promise<Check> {
  const feeds = new Map<string, FeedEntry[]>();
  for (const eventId of eventIds) {
    const entries: FeedEntry[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        visitors: {
          edges: { node: GraphqlNode }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      } = await graphql(
        instance.url,
        token,
        `query($eventId: ID!, $after: String) { visitors(eventId: $eventId, first: 100, after: $after) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        { eventId, after },
      );
      entries.push(...data.visitors.edges.map((edge) => flatten(edge.node)));
      if (!data.visitors.pageInfo.hasNextPage) break;
      after = data.visitors.pageInfo.endCursor;
    }
    feeds.set(eventId, entries);
  }
  return checkFeed(`change feed, GraphQL cursor paging on ${instance.name}`, feeds, ledger);
}

/** The sync loop of SPEC section 2 over REST JSON: `fromRevision = highest seen + 1` until a page is empty. */
export async function verifyRestFeed(
  instance: SoakInstance,
  key: string,
  eventIds: string[],
  ledger: SoakLedger,
): Promise<Check> {
  const feeds = new Map<string, FeedEntry[]>();
  for (const eventId of eventIds) {
    const entries: FeedEntry[] = [];
    let fromRevision = 0;
    for (;;) {
      const response = await fetch(
        `${instance.url}/json/visitors/${eventId}?fromRevision=${fromRevision}&limit=100`,
        {
          headers: { authorization: `Bearer ${key}` },
        },
      );
      if (response.status !== 200) throw new Error(`REST feed: ${response.status} ${await response.text()}`);
      const page = (await response.json()) as {
        id: string;
        revision: number;
        deleted: boolean;
        "registration-state": string;
        reference: string;
        contact: { "last-name": string };
      }[];
      if (page.length === 0) break;
      entries.push(
        ...page.map((visitor) => ({
          id: visitor.id,
          revision: visitor.revision,
          deleted: visitor.deleted,
          registrationState: visitor["registration-state"].toUpperCase().replace(/-/g, "_"),
          reference: visitor.reference,
          lastName: visitor.contact["last-name"],
        })),
      );
      fromRevision = page[page.length - 1].revision + 1;
    }
    feeds.set(eventId, entries);
  }
  return checkFeed(`change feed, REST JSON fromRevision paging on ${instance.name}`, feeds, ledger);
}
