import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from "express";
import { type Actor, requireOrganisation } from "@/src/auth/actor.js";
import type { Env } from "@/src/config/env.js";
import { AppError } from "@/src/errors/app-error.js";
import { fromGraphQLError, toPublicError } from "@/src/errors/public-error.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import { refuseInvalidUtf8 } from "@/src/http/body-checks.js";
import { restFieldName, sendRestError } from "./error-render.js";
import { plural } from "./kebab-case.js";
import { openApiDocument } from "./openapi.js";
import { bodyInput, listVariables } from "./request-input.js";
import { toRest } from "./rest-model.js";
import {
  BODY_TYPES,
  type CompiledRoute,
  compileRoutes,
  REST_FORMATS,
  type RestFormat,
  ROUTES,
} from "./route-table.js";
import { renderXml } from "./xml-render.js";

export type CompatDeps = {
  env: Env;
  graphql: GraphQLExecutor;
  /** The shared verification path: the caller's actor, or throws an AppError (401 with reason). */
  authenticate(req: express.Request): Promise<Actor>;
};

async function answer(
  route: CompiledRoute,
  format: RestFormat,
  deps: CompatDeps,
  req: Request,
  res: Response,
) {
  const variables: Record<string, unknown> = { ...req.params };
  if (route.listParams) Object.assign(variables, listVariables(route, req.query));
  if (route.input) variables.input = bodyInput(route, format, typeof req.body === "string" ? req.body : "");
  const outcome = await deps.graphql(
    { query: route.query, variables, operationName: route.operation },
    res.locals.actor!,
    String(req.id),
  );
  const failure = outcome.errors[0];
  // The error's code, reason and fields come from its extensions, never from its message.
  if (failure) return sendRestError(res, format, fromGraphQLError(failure, restFieldName));
  if (route.status === 204) return void res.status(204).end();

  const data = outcome.data?.[route.result] as Record<string, unknown> | undefined;
  if (data === undefined) throw new Error(`${route.operation} returned no ${route.result}`);
  const records = route.connection ? (data.edges as { node: unknown }[]).map((edge) => edge.node) : data;
  const rest = toRest(records, route.resultType) ?? {};
  if (route.status === 201) {
    res.location(`${req.baseUrl}${req.path.replace(/\/$/, "")}/${encodeURIComponent(String(data.id))}`);
  }
  res.status(route.status);
  if (format === "json") res.json(rest);
  else
    res
      .type("application/xml; charset=utf-8")
      .send(renderXml(route.list ? plural(route.element) : route.element, rest));
}

function formatRouter(format: RestFormat, deps: CompatDeps, compiled: Promise<CompiledRoute[]>): Router {
  const router = express.Router();
  const readText = express.text({
    type: () => true,
    limit: deps.env.BODY_LIMIT_BYTES,
    defaultCharset: "utf-8",
    // Invalid UTF-8 is refused, not read with U+FFFD in place of the client's bytes.
    verify: refuseInvalidUtf8,
  });

  // Credentials first: nobody gets a body parsed without them.
  const authenticate: RequestHandler = async (req, res, next) => {
    const actor = await deps.authenticate(req);
    requireOrganisation(actor);
    res.locals.actor = actor;
    next();
  };
  const requireBodyType: RequestHandler = (req, _res, next) => {
    const matched = req.is(BODY_TYPES[format]);
    if (matched === null || req.headers["content-length"] === "0")
      throw new AppError("BAD_REQUEST", `This route needs a ${format.toUpperCase()} body`);
    if (!matched) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send the body as ${BODY_TYPES[format].join(" or ")}`);
    }
    next();
  };

  const paths = [...new Set(ROUTES.map((route) => route.path))];
  for (const path of paths) {
    const chain = router.route(path);
    const methods: string[] = [];
    for (const route of ROUTES.filter((candidate) => candidate.path === path)) {
      const index = ROUTES.indexOf(route);
      const handle: RequestHandler = async (req, res) =>
        answer((await compiled)[index]!, format, deps, req, res);
      const handlers = route.body
        ? [authenticate, requireBodyType, readText, handle]
        : [authenticate, handle];
      methods.push(route.method);
      if (route.method === "GET") chain.get(...handlers);
      else if (route.method === "POST") chain.post(...handlers);
      else if (route.method === "PUT") chain.put(...handlers);
      else chain.delete(...handlers);
    }
    const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : [])].join(", ");
    chain.all((req, res) => {
      res.set("Allow", allow);
      sendRestError(
        res,
        format,
        toPublicError(new AppError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here; use ${allow}`)),
      );
    });
  }
  router.use((req, res) => {
    sendRestError(
      res,
      format,
      toPublicError(new AppError("NOT_FOUND", `No route for ${req.method} ${req.baseUrl}${req.path}`)),
    );
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    sendRestError(res, format, toPublicError(error, req.log));
  };
  router.use(onError);
  return router;
}

/** The legacy REST layer (SPEC section 5): `/json/...` and `/xml/...` routes, and `/openapi.json`. */
export function createCompatRouter(deps: CompatDeps): Router {
  // The schema is built once per process. An invalid route document is a programming error: the
  // rejection is left unhandled on purpose, so the process stops at start naming the document.
  const compiled = graphqlSchema().then(compileRoutes);
  const openApi = compiled.then(openApiDocument);
  const router = express.Router();
  router.get("/openapi.json", async (_req, res) => {
    res.json(await openApi);
  });
  for (const format of REST_FORMATS) router.use(`/${format}`, formatRouter(format, deps, compiled));
  return router;
}
