import { AppError } from "@/src/errors/app-error.js";
import { sqlState } from "./sql-state.js";

/**
 * Whether the database can be reached, as a circuit breaker. Closed while queries succeed; open
 * from the first failed probe (a connection of the pool closed, or a request met a connection
 * error) until a probe query succeeds. While open, requests are answered 503 with Retry-After at
 * once instead of each waiting for a connection, and a probe runs every `probeEveryMs`, so the
 * breaker closes within that time of the database returning.
 */
export type DatabaseHealth = {
  /** Throws SERVICE_UNAVAILABLE (503, Retry-After) while the database is known to be unreachable. */
  assertAvailable(): void;
  /** Something suggests the database went away (a connection closed, a query failed): check now. */
  suspect(): void;
  /** Readiness: a query within `timeoutMs`, or at once false while the breaker is open. */
  check(timeoutMs: number): Promise<boolean>;
  status(): { available: boolean; outages: number };
  close(): void;
};

export type DatabaseHealthOptions = {
  /** A trivial query; rejects when the database cannot be reached. */
  ping(): Promise<void>;
  probeEveryMs?: number;
  /**
   * A probe slower than this counts as an outage (a server that accepts connections but never
   * answers); long enough that a busy pool is not mistaken for one.
   */
  probeTimeoutMs?: number;
  onOutage?: (error: unknown) => void;
  onRecovery?: () => void;
};

/** What a client is told to wait, in seconds: about the time the next probes take. */
const RETRY_AFTER_SECONDS = 1;

export const databaseUnavailable = () =>
  new AppError("SERVICE_UNAVAILABLE", "The database is unreachable; retry shortly", {
    retryAfter: RETRY_AFTER_SECONDS,
  });

/** An embedded database cannot become unreachable. */
export const alwaysAvailable = (ping: () => Promise<void>): DatabaseHealth => ({
  assertAvailable: () => {},
  suspect: () => {},
  check: (timeoutMs) =>
    withTimeout(ping(), timeoutMs).then(
      () => true,
      () => false,
    ),
  status: () => ({ available: true, outages: 0 }),
  close: () => {},
});

export function databaseHealth(options: DatabaseHealthOptions): DatabaseHealth {
  const {
    ping,
    probeEveryMs = 250,
    probeTimeoutMs = 5_000,
    onOutage = () => {},
    onRecovery = () => {},
  } = options;
  let available = true;
  let outages = 0;
  let probing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const probe = (): Promise<void> => {
    probing ??= withTimeout(ping(), probeTimeoutMs)
      .then(
        () => {
          if (available) return;
          available = true;
          onRecovery();
        },
        (error: unknown) => {
          if (closed) return;
          // A query that failed for another reason is no outage; once open, only a success closes.
          const outage = isDatabaseUnavailable(error) || error instanceof ProbeTimeout;
          if (available && !outage) return;
          if (available) {
            available = false;
            outages++;
            onOutage(error);
          }
          timer ??= setTimeout(() => {
            timer = undefined;
            void probe();
          }, probeEveryMs);
        },
      )
      .finally(() => {
        probing = undefined;
      });
    return probing;
  };

  return {
    assertAvailable() {
      if (!available) throw databaseUnavailable();
    },
    suspect() {
      if (!closed) void probe();
    },
    async check(timeoutMs) {
      if (!available) return false;
      return withTimeout(ping(), timeoutMs).then(
        () => true,
        (error: unknown) => {
          if (isDatabaseUnavailable(error) && !closed) void probe();
          return false;
        },
      );
    },
    status: () => ({ available, outages }),
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

class ProbeTimeout extends Error {}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// postgres.js's connection errors, and the socket's own.
const CONNECTION_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
]);

/**
 * Whether an error means the database could not be reached or went away mid-query (not that the
 * query was wrong): a connection error, a connection-exception SQLSTATE (class 08), the server
 * shutting down or starting (57P01-57P03), or the statement timeout (57014).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  const state = sqlState(error);
  return (
    state !== undefined && (state.startsWith("08") || ["57P01", "57P02", "57P03", "57014"].includes(state))
  );
}
