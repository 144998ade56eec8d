export type Reply = { status: number; text: string };

export type InstanceStats = {
  responses: number;
  byClass: Record<string, number>;
  serverErrors: number;
  /** Answers other than the one the operation expects (4xx and 5xx alike). */
  unexpected: number;
  networkErrors: number;
  /** The first few unexpected answers, to say what went wrong. */
  samples: string[];
};

const MAX_SAMPLES = 10;

/** One app instance as the soak clients see it, counting every answer it gives. */
export class SoakInstance {
  readonly stats: InstanceStats = {
    responses: 0,
    byClass: {},
    serverErrors: 0,
    unexpected: 0,
    networkErrors: 0,
    samples: [],
  };

  constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  /**
   * Sends one request; undefined when no answer arrived, or the answer was not `expect`
   * (both counted). Writes that get no expected answer are never recorded as acknowledged.
   */
  async send(
    what: string,
    method: string,
    path: string,
    expect: number,
    init: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Reply | undefined> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: init.headers,
        body: init.body,
        signal: AbortSignal.timeout(60_000),
      });
      text = await response.text();
    } catch (error) {
      this.stats.networkErrors++;
      this.sample(`${what}: ${method} ${path}: ${(error as Error).message}`);
      return undefined;
    }
    const { status } = response;
    this.stats.responses++;
    const statusClass = `${Math.floor(status / 100)}xx`;
    this.stats.byClass[statusClass] = (this.stats.byClass[statusClass] ?? 0) + 1;
    if (status >= 500) this.stats.serverErrors++;
    if (status !== expect) {
      this.stats.unexpected++;
      this.sample(`${what}: ${method} ${path} -> ${status} ${text.slice(0, 300)}`);
      return undefined;
    }
    return { status, text };
  }

  /** A GraphQL operation; undefined unless it answered 200 with data and no errors. */
  async graphql<T>(
    what: string,
    token: string,
    query: string,
    variables: Record<string, unknown>,
  ): Promise<T | undefined> {
    const reply = await this.send(what, "POST", "/graphql", 200, {
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    if (!reply) return undefined;
    const body = JSON.parse(reply.text) as { data?: T | null; errors?: unknown[] };
    if (body.errors?.length || !body.data) {
      this.stats.unexpected++;
      this.sample(`${what}: GraphQL errors ${JSON.stringify(body.errors).slice(0, 300)}`);
      return undefined;
    }
    return body.data;
  }

  private sample(line: string) {
    if (this.stats.samples.length < MAX_SAMPLES) this.stats.samples.push(line);
  }
}
