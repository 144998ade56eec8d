import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { As, TestApp } from "../support/harness.js";

/** One request a receiver got. */
export type Ping = {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
};

/** What a receiver answers: a status, after whatever the handler does (pull, wait, ...). */
export type PingHandler = (
  ping: Ping,
  response: ServerResponse,
) => Promise<number | undefined> | number | undefined;

/**
 * A webhook receiver on loopback (node:http), as an integration would run one. Tests wait on its
 * requests (`next`, `waitForPings`), never on time.
 */
export class Receiver {
  readonly pings: Ping[] = [];
  /** Requests being handled right now (to prove at most one ping per webhook is in flight). */
  inFlight = 0;
  maxInFlight = 0;
  handler: PingHandler = () => 200;
  private waiters: (() => void)[] = [];
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      request.on("end", () => {
        const url = new URL(request.url ?? "/", "http://receiver");
        const ping: Ping = {
          method: request.method ?? "",
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: request.headers,
          body,
          at: Date.now(),
        };
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        this.pings.push(ping);
        this.notify();
        Promise.resolve()
          .then(() => this.handler(ping, response))
          .then(
            (status) => {
              if (status !== undefined && !response.headersSent && !response.destroyed)
                response.writeHead(status).end();
            },
            () => response.destroy(),
          )
          .finally(() => {
            this.inFlight--;
            this.notify();
          });
      });
    });
  }

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    receiver.port = (receiver.server.address() as AddressInfo).port;
    return receiver;
  }

  get host() {
    return `127.0.0.1:${this.port}`;
  }

  url(path = "/hook") {
    return `http://${this.host}${path}`;
  }

  /** Resolves when the receiver holds at least `count` pings (failing after `timeoutMs`). */
  async waitForPings(count: number, timeoutMs = 10_000): Promise<Ping[]> {
    await this.until(
      () => this.pings.length >= count,
      `${count} pings (got ${this.pings.length})`,
      timeoutMs,
    );
    return this.pings.slice(0, count);
  }

  /** Resolves when no request is being handled. */
  idle(timeoutMs = 10_000) {
    return this.until(() => this.inFlight === 0, "the receiver to be idle", timeoutMs);
  }

  async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private notify() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/**
 * A verifier written from the Standard Webhooks rules, with node:crypto only: the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`, the key is the base64 after `whsec_`, and the header
 * holds space-separated `v1,<base64 HMAC-SHA256>` signatures, any of which may match.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingMessage["headers"],
  body: string,
  toleranceSeconds = 300,
): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signatures !== "string") return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds)
    return false;
  if (!secret.startsWith("whsec_")) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export const WEBHOOK_FIELDS =
  "id eventId type url enabled state errorCount deliveredRevision coveredRevision nextAttemptAt lastSentAt lastStatus lastError createdAt updatedAt";

export type WebhookRef = {
  id: string;
  eventId: string;
  type: string;
  url: string;
  enabled: boolean;
  state: "WAIT" | "ERROR";
  errorCount: number;
  deliveredRevision: number;
  coveredRevision: number | null;
  lastStatus: number | null;
  lastError: string | null;
};

export async function createWebhook(
  t: Pick<TestApp, "ok">,
  eventId: string,
  input: { url: string; type?: "VISITOR" | "PARTNER"; enabled?: boolean },
  as?: As,
): Promise<{ webhook: WebhookRef; secret: string }> {
  const data = await t.ok<{ createWebhook: { webhook: WebhookRef; secret: string } }>(
    `mutation($eventId: ID!, $input: CreateWebhookInput!) { createWebhook(eventId: $eventId, input: $input) { webhook { ${WEBHOOK_FIELDS} } secret } }`,
    { eventId, input: { type: "VISITOR", ...input } },
    { as },
  );
  return data.createWebhook;
}

export async function getWebhook(t: Pick<TestApp, "ok">, eventId: string, id: string, as?: As) {
  const data = await t.ok<{ webhook: WebhookRef }>(
    `query($eventId: ID!, $id: ID!) { webhook(eventId: $eventId, id: $id) { ${WEBHOOK_FIELDS} } }`,
    { eventId, id },
    { as },
  );
  return data.webhook;
}

export async function updateWebhook(
  t: Pick<TestApp, "ok">,
  eventId: string,
  id: string,
  input: Record<string, unknown>,
  as?: As,
) {
  const data = await t.ok<{ updateWebhook: WebhookRef }>(
    `mutation($eventId: ID!, $id: ID!, $input: UpdateWebhookInput!) { updateWebhook(eventId: $eventId, id: $id, input: $input) { ${WEBHOOK_FIELDS} } }`,
    { eventId, id, input },
    { as },
  );
  return data.updateWebhook;
}

export type DeliveryRef = {
  messageId: string;
  coveredRevision: number;
  attempt: number;
  status: number | null;
  error: string | null;
  durationMs: number;
};

export async function deliveries(t: Pick<TestApp, "ok">, webhookId: string, as?: As): Promise<DeliveryRef[]> {
  const data = await t.ok<{ webhookDeliveries: DeliveryRef[] }>(
    "query($id: ID!) { webhookDeliveries(webhookId: $id) { messageId coveredRevision attempt status error durationMs } }",
    { id: webhookId },
    { as },
  );
  return data.webhookDeliveries;
}

type Pulled = { id: string; revision: number };

/** Pulls every page of what a webhook's ping covers (`filter: {webhookId}`), as a receiver does. */
export async function pull(
  t: Pick<TestApp, "ok">,
  eventId: string,
  webhookId: string,
  kind: "visitors" | "partners" = "visitors",
  as?: As,
): Promise<Pulled[]> {
  const records: Pulled[] = [];
  let after: string | null = null;
  for (;;) {
    const data: Record<
      string,
      { edges: { node: Pulled }[]; pageInfo: { hasNextPage: boolean; endCursor: string } }
    > = await t.ok(
      `query($eventId: ID!, $after: String, $webhookId: ID!) { ${kind}(eventId: $eventId, first: 20, after: $after, filter: { webhookId: $webhookId }) { edges { node { id revision } } pageInfo { hasNextPage endCursor } } }`,
      { eventId, after, webhookId },
      { as },
    );
    const page = data[kind];
    records.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return records;
    after = page.pageInfo.endCursor;
  }
}
