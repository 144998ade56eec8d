import { must } from "../support/must.js";
import type { SoakInstance } from "./soak-http.js";
import {
  difference,
  type ExpectedVisitor,
  restState,
  type SoakLedger,
  type VisitorFields,
} from "./soak-ledger.js";

export type SoakContext = {
  instances: SoakInstance[];
  ledger: SoakLedger;
  /** A read-write API key with limits far above the load. */
  key: string;
  events: { id: string; typeIds: string[] }[];
  functions: { key: string; constant: string; read: string };
  /** Operations started, by kind. */
  counts: Record<string, number>;
  /** Reads of a client's own visitor that missed its last acknowledged write; pages out of order. */
  inconsistentReads: string[];
};

const STATES = ["INVITED", "REGISTERING", "REGISTERED", "PENDING_CONFIRMATION", "HOLD", "CANCELLED"];
const VISITOR_FIELDS = "id revision deleted registrationState reference contact { lastName }";
type GraphqlVisitor = VisitorFields & { id: string; revision: number; deleted: boolean } & {
  contact: { lastName: string };
};

const random = (below: number) => Math.floor(Math.random() * below);
const pick = <T>(items: readonly T[]): T => must(items[random(items.length)], "items[random(items.length)]");

/** The visitor fields of a GraphQL answer, flattened as the ledger keeps them. */
const fromGraphql = (visitor: GraphqlVisitor) => ({
  registrationState: visitor.registrationState,
  reference: visitor.reference,
  lastName: visitor.contact.lastName,
  deleted: visitor.deleted,
  revision: visitor.revision,
});

type RestVisitor = {
  id: string;
  revision: number;
  deleted: boolean;
  "registration-state": string;
  reference: string;
  contact: { "last-name": string };
};

/** REST answers spell states in kebab-case; the ledger keeps the GraphQL names. */
const fromJson = (visitor: RestVisitor) => ({
  registrationState: visitor["registration-state"].toUpperCase().replace(/-/g, "_"),
  reference: visitor.reference,
  lastName: visitor.contact["last-name"],
  deleted: visitor.deleted,
  revision: visitor.revision,
});

// Visitor fields come before contact fields and our values need no escaping, so the first match is the visitor's.
const xmlField = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? "";
const fromXml = (xml: string) => ({
  id: xmlField(xml, "id"),
  registrationState: xmlField(xml, "registration-state").toUpperCase().replace(/-/g, "_"),
  reference: xmlField(xml, "reference"),
  lastName: xmlField(xml, "last-name"),
  deleted: xmlField(xml, "deleted") === "true",
  revision: Number(xmlField(xml, "revision")),
});

const jsonBody = (fields: VisitorFields, email?: string) =>
  JSON.stringify({
    "registration-state": restState(fields.registrationState),
    reference: fields.reference,
    contact: { "last-name": fields.lastName, ...(email && { "first-name": "Soak", email }) },
  });
const xmlBody = (fields: VisitorFields, email?: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><visitor><registration-state>${restState(fields.registrationState)}</registration-state>` +
  `<reference>${fields.reference}</reference><contact>${email ? `<first-name>Soak</first-name><email>${email}</email>` : ""}` +
  `<last-name>${fields.lastName}</last-name></contact></visitor>`;

/** Lets the orchestrator stop every client between operations (to measure memory at rest). */
export class Gate {
  private closed = false;
  private parked = 0;
  private waiters: (() => void)[] = [];
  private allParked?: () => void;

  constructor(private readonly clients: number) {}

  async pass(): Promise<void> {
    if (!this.closed) return;
    this.parked++;
    if (this.parked === this.clients) this.allParked?.();
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.parked--;
  }

  /** Resolves once every client waits at the gate. */
  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      this.allParked = resolve;
      if (this.parked === this.clients) resolve();
    });
  }

  open(): void {
    this.closed = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/**
 * One soak client: a closed loop of random operations, alternating between the instances. It
 * updates and deletes only visitors it created, so its acknowledged writes fix their final state.
 */
export class SoakClient {
  private readonly mine: ExpectedVisitor[] = [];
  private readonly live: ExpectedVisitor[] = [];
  private serial = 0;
  private turn: number;

  constructor(
    private readonly context: SoakContext,
    private readonly index: number,
  ) {
    this.turn = index;
  }

  async run(stopped: () => boolean, gate: Gate): Promise<void> {
    while (!stopped()) {
      await gate.pass();
      if (stopped()) return;
      await this.step();
    }
  }

  private instance(): SoakInstance {
    this.turn++;
    return this.context.instances[this.turn % this.context.instances.length];
  }

  private count(kind: string) {
    this.context.counts[kind] = (this.context.counts[kind] ?? 0) + 1;
  }

  private nextFields(): VisitorFields {
    this.serial++;
    return {
      registrationState: pick(STATES),
      reference: `soak-${this.index}-${this.serial}`,
      lastName: `Tester${this.index}x${this.serial}`,
    };
  }

  private async step() {
    const roll = random(100);
    if (this.live.length < 5 || roll < 22) return this.create();
    if (roll < 26) return this.createBulk();
    if (roll < 41) return this.update();
    if (roll < 46) return this.delete();
    if (roll < 70) return this.read();
    if (roll < 85) return this.list();
    return this.callFunction();
  }

  private remember(eventId: string, id: string, fields: VisitorFields, revision: number) {
    const visitor: ExpectedVisitor = { id, eventId, ...fields, deleted: false, revision };
    this.context.ledger.created(visitor);
    this.mine.push(visitor);
    this.live.push(visitor);
  }

  private async create() {
    const { key } = this.context;
    const event = pick(this.context.events);
    const fields = this.nextFields();
    const email = `${fields.reference}@example.test`;
    const surface = pick(["graphql", "json", "xml"] as const);
    this.count(`create (${surface})`);
    const instance = this.instance();
    if (surface === "graphql") {
      const data = await instance.graphql<{ createVisitor: GraphqlVisitor }>(
        "create visitor",
        key,
        `mutation($eventId: ID!, $input: CreateVisitorInput!) { createVisitor(eventId: $eventId, input: $input) { ${VISITOR_FIELDS} } }`,
        {
          eventId: event.id,
          input: {
            registrationState: fields.registrationState,
            reference: fields.reference,
            registrationTypeId: pick(event.typeIds),
            contact: { firstName: "Soak", lastName: fields.lastName, email },
          },
        },
      );
      if (data) this.remember(event.id, data.createVisitor.id, fields, data.createVisitor.revision);
      return;
    }
    const reply = await instance.send(
      `create visitor (${surface})`,
      "POST",
      `/${surface}/visitors/${event.id}`,
      201,
      {
        headers: { authorization: `Bearer ${key}`, "content-type": `application/${surface}` },
        body: surface === "json" ? jsonBody(fields, email) : xmlBody(fields, email),
      },
    );
    if (!reply) return;
    const created = surface === "json" ? (JSON.parse(reply.text) as RestVisitor) : fromXml(reply.text);
    this.remember(event.id, created.id, fields, created.revision);
  }

  private async createBulk() {
    const event = pick(this.context.events);
    const inputs = Array.from({ length: 25 }, () => this.nextFields());
    this.count("create bulk x25 (graphql)");
    const data = await this.instance().graphql<{ createVisitors: { id: string; revision: number }[] }>(
      "create visitors",
      this.context.key,
      "mutation($eventId: ID!, $inputs: [CreateVisitorInput!]!) { createVisitors(eventId: $eventId, inputs: $inputs) { id revision } }",
      {
        eventId: event.id,
        inputs: inputs.map((fields) => ({
          registrationState: fields.registrationState,
          reference: fields.reference,
          contact: { lastName: fields.lastName },
        })),
      },
    );
    data?.createVisitors.forEach((visitor, index) => {
      this.remember(event.id, visitor.id, inputs[index], visitor.revision);
    });
  }

  private async update() {
    const visitor = pick(this.live);
    const fields = this.nextFields();
    const surface = pick(["graphql", "json", "xml"] as const);
    this.count(`update (${surface})`);
    const instance = this.instance();
    let revision: number | undefined;
    if (surface === "graphql") {
      const data = await instance.graphql<{ updateVisitor: GraphqlVisitor }>(
        "update visitor",
        this.context.key,
        `mutation($eventId: ID!, $id: ID!, $input: UpdateVisitorInput!) { updateVisitor(eventId: $eventId, id: $id, input: $input) { ${VISITOR_FIELDS} } }`,
        {
          eventId: visitor.eventId,
          id: visitor.id,
          input: {
            registrationState: fields.registrationState,
            reference: fields.reference,
            contact: { lastName: fields.lastName },
          },
        },
      );
      if (!data) return;
      revision = data.updateVisitor.revision;
    } else {
      const reply = await instance.send(
        `update visitor (${surface})`,
        "PUT",
        `/${surface}/visitors/${visitor.eventId}/${visitor.id}`,
        200,
        {
          headers: { authorization: `Bearer ${this.context.key}`, "content-type": `application/${surface}` },
          body: surface === "json" ? jsonBody(fields) : xmlBody(fields),
        },
      );
      if (!reply) return;
      revision =
        surface === "json" ? (JSON.parse(reply.text) as RestVisitor).revision : fromXml(reply.text).revision;
    }
    this.context.ledger.updated(visitor.id, fields, revision);
  }

  private async delete() {
    const visitor = this.live[random(this.live.length)];
    const surface = pick(["graphql", "json", "xml"] as const);
    this.count(`delete (${surface})`);
    const instance = this.instance();
    let revision: number | undefined;
    if (surface === "graphql") {
      const data = await instance.graphql<{ deleteVisitor: { revision: number } }>(
        "delete visitor",
        this.context.key,
        "mutation($eventId: ID!, $id: ID!) { deleteVisitor(eventId: $eventId, id: $id) { revision } }",
        { eventId: visitor.eventId, id: visitor.id },
      );
      if (!data) return;
      revision = data.deleteVisitor.revision;
    } else {
      const reply = await instance.send(
        `delete visitor (${surface})`,
        "DELETE",
        `/${surface}/visitors/${visitor.eventId}/${visitor.id}`,
        204,
        { headers: { authorization: `Bearer ${this.context.key}` } },
      );
      if (!reply) return;
    }
    this.context.ledger.deleted(visitor.id, revision);
    this.live.splice(this.live.indexOf(visitor), 1);
  }

  /** Read-your-writes: a client's own visitor must show its last acknowledged write, on either instance. */
  private async read() {
    const visitor = pick(this.mine);
    const surface = pick(["graphql", "json", "xml"] as const);
    this.count(`read (${surface})`);
    const instance = this.instance();
    let actual: ReturnType<typeof fromGraphql> | undefined;
    if (surface === "graphql") {
      const data = await instance.graphql<{ visitor: GraphqlVisitor }>(
        "read visitor",
        this.context.key,
        `query($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR_FIELDS} } }`,
        { eventId: visitor.eventId, id: visitor.id },
      );
      actual = data && fromGraphql(data.visitor);
    } else {
      const reply = await instance.send(
        `read visitor (${surface})`,
        "GET",
        `/${surface}/visitors/${visitor.eventId}/${visitor.id}`,
        200,
        { headers: { authorization: `Bearer ${this.context.key}` } },
      );
      actual =
        reply && (surface === "json" ? fromJson(JSON.parse(reply.text) as RestVisitor) : fromXml(reply.text));
    }
    const wrong = actual && difference(visitor, actual);
    if (wrong) this.context.inconsistentReads.push(`${instance.name} ${surface} read ${wrong}`);
  }

  /** One page from a random revision: each page must be in strictly increasing revision order. */
  private async list() {
    const event = pick(this.context.events);
    const fromRevision = 1 + random(Math.max(1, this.context.ledger.highestRevision));
    const surface = pick(["graphql", "json", "xml"] as const);
    this.count(`list (${surface})`);
    const instance = this.instance();
    let revisions: number[] | undefined;
    if (surface === "graphql") {
      const data = await instance.graphql<{ visitors: { edges: { node: { revision: number } }[] } }>(
        "list visitors",
        this.context.key,
        "query($eventId: ID!, $fromRevision: Revision) { visitors(eventId: $eventId, first: 100, filter: { fromRevision: $fromRevision }) { edges { node { id revision } } pageInfo { hasNextPage endCursor } } }",
        { eventId: event.id, fromRevision },
      );
      revisions = data?.visitors.edges.map((edge) => edge.node.revision);
    } else {
      const reply = await instance.send(
        `list visitors (${surface})`,
        "GET",
        `/${surface}/visitors/${event.id}?fromRevision=${fromRevision}&limit=100`,
        200,
        { headers: { authorization: `Bearer ${this.context.key}` } },
      );
      if (reply) {
        revisions =
          surface === "json"
            ? (JSON.parse(reply.text) as RestVisitor[]).map((visitor) => visitor.revision)
            : [...reply.text.matchAll(/<revision>(\d+)<\/revision>/g)].map((match) => Number(match[1]));
      }
    }
    if (
      revisions?.some(
        (revision, index) => revision < fromRevision || (index > 0 && revision <= revisions[index - 1]),
      )
    ) {
      this.context.inconsistentReads.push(
        `${instance.name} ${surface} list from ${fromRevision}: revisions out of order`,
      );
    }
  }

  private async callFunction() {
    const { functions } = this.context;
    const constant = random(2) === 0;
    this.count(constant ? "function constant" : "function visit.graphql");
    const visitor = pick(this.mine);
    const path = constant
      ? `/functions/${functions.constant}`
      : `/functions/${functions.read}?eventId=${visitor.eventId}&id=${visitor.id}`;
    await this.instance().send(constant ? "constant function" : "read function", "GET", path, 200, {
      headers: { authorization: `Bearer ${functions.key}` },
    });
  }
}
