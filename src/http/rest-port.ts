import type { Logger } from "pino";
import type { Actor } from "@/src/auth/actor.js";
import type { CallType } from "@/src/services/usage-recorder.js";

/**
 * The REST routes as a function of a request, independent of HTTP: the Express routers and the
 * sandbox's `visit.fetch` both call them through this port. compat/ implements it; the
 * composition root (src/server/) hands that implementation to whoever needs it.
 */
export type RestRequest = {
  method: string;
  /** Path and query string as the client sent them: `/create/v2/visitors/abc?limit=10`. */
  url: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** Reads the body; called only by routes that take one, after authentication. */
  body(): Promise<string>;
};

export type RestResponse = { status: number; headers: Record<string, string>; body: string };

/** Who the call runs as, asked for only once the route is known. */
export type RestCaller = {
  /** The caller's actor, or throws an AppError (401 with reason, 429). */
  authenticate(): Promise<Actor>;
  requestId: string;
  log?: Logger;
};

export type RestPort = {
  /**
   * Answers a request of a REST family (`/json`, `/xml`, `/create/v2`), with the call type it
   * counts as in the statistics; undefined for any other path.
   */
  dispatch(
    request: RestRequest,
    caller: RestCaller,
  ): Promise<{ callType: Extract<CallType, "JSON" | "XML">; response: RestResponse } | undefined>;
};
