import { validateHeaderName, validateHeaderValue } from "node:http";
import express, { type Request, type Response, type Router } from "express";
import type { FunctionRunner } from "@/jobs/function-runner.js";
import type { GuestRequest } from "@/jobs/sandbox/sandbox-types.js";
import { type Actor, requireOrganisation } from "@/src/auth/actor.js";
import { AppError, forbidden, notFound } from "@/src/errors/app-error.js";
import { refuseInvalidUtf8 } from "@/src/http/body-checks.js";
import type { EndpointCache } from "@/src/services/functions/endpoint-cache.js";
import type { JsonValue } from "@/src/services/functions/function-types.js";

type Deps = {
  endpoints: EndpointCache;
  runner: FunctionRunner;
  authenticate(req: Request): Promise<Actor>;
  bodyLimit: number;
};

// Hop-by-hop and framing headers are the server's to set, not a function's; so is the run id.
const RESERVED_HEADERS = new Set([
  "x-function-run-id",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "trailer",
]);

function guestRequest(req: Request): GuestRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name !== "authorization" && value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URL(req.originalUrl, "http://x").searchParams) {
    const existing = query[name];
    query[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return {
    method: req.method,
    path: req.path,
    query,
    headers,
    body: typeof req.body === "string" ? req.body : "",
  };
}

/** `{status, headers, body}` is a response; any other value is sent as 200 JSON (SPEC section 6). */
function send(res: Response, value: JsonValue | undefined, runId: string) {
  if (value === undefined) return void res.status(204).end();
  if (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof value.status === "number"
  ) {
    const { status, headers, body } = value;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new AppError("BAD_GATEWAY", `The function returned an invalid status: ${status}`, {
        details: { runId },
      });
    }
    const entries =
      headers && typeof headers === "object" && !Array.isArray(headers)
        ? Object.entries(headers).filter(
            (entry): entry is [string, string] =>
              !RESERVED_HEADERS.has(entry[0].toLowerCase()) && typeof entry[1] === "string",
          )
        : [];
    // All checked before any is set: a bad header is the function's failure (502), not ours (500).
    for (const [name, header] of entries) {
      try {
        validateHeaderName(name);
        validateHeaderValue(name, header);
      } catch {
        throw new AppError("BAD_GATEWAY", "The function returned an invalid response header", {
          details: { runId },
        });
      }
    }
    for (const [name, header] of entries) res.setHeader(name, header);
    res.status(status);
    if (body === undefined || body === null) return void res.end();
    if (typeof body === "string") return void res.send(body);
    return void res.json(body);
  }
  res.json(value);
}

/** Endpoint functions: `ANY /functions/{key}`, called with the function's own API key. */
export function functionsRouter(deps: Deps): Router {
  const router = express.Router();
  router.all(
    ["/functions/:key", "/functions/:key/*rest"],
    // The function gets the body as text: invalid UTF-8 is refused rather than handed on altered.
    express.text({ type: () => true, limit: deps.bodyLimit, verify: refuseInvalidUtf8 }),
    async (req, res) => {
      // No credentials at all is 401 (SPEC section 3), not a wrong kind of caller.
      const actor = requireOrganisation(await deps.authenticate(req));
      if (actor.kind !== "apiKey") {
        throw forbidden("NOT_FUNCTION_KEY", "Call an endpoint function with the API key it runs as");
      }
      const key = String(req.params.key);
      // A key holding a NUL cannot exist (nor be looked up in PostgreSQL): unknown, like any other.
      const fn = key.includes("\u0000") ? undefined : await deps.endpoints.byKey(actor.organisationId, key);
      if (!fn) throw notFound("Function");
      if (fn.apiKeyId !== actor.apiKeyId) {
        throw forbidden("NOT_FUNCTION_KEY", "Call this endpoint function with the API key it runs as");
      }
      if (!fn.enabled) throw new AppError("SERVICE_UNAVAILABLE", "This function is disabled");
      const { run, value } = await deps.runner.run(fn, "ENDPOINT", undefined, guestRequest(req));
      res.setHeader("X-Function-Run-Id", run.id);
      if (run.status === "TIMED_OUT") {
        throw new AppError("GATEWAY_TIMEOUT", "The function did not finish in time", {
          details: { runId: run.id },
        });
      }
      if (run.status !== "SUCCEEDED") {
        throw new AppError("BAD_GATEWAY", `The function failed (${run.status})`, {
          details: { runId: run.id },
        });
      }
      send(res, value, run.id);
    },
  );
  return router;
}
