import { getNamedType, isEnumType } from "graphql";
import { AppError, type FieldError, invalidInput } from "@/src/errors/app-error.js";
import { jsonNestingExceeds } from "@/src/http/body-checks.js";
import type { CompiledRoute } from "./compiled-route.js";
import { readEnum, readInput } from "./rest-model.js";
import type { QueryParam } from "./route-table.js";
import { MAX_BODY_DEPTH, parseXmlBody } from "./xml-parse.js";

/** Largest page (SPEC sections 2, 5 and 9). */
export const MAX_LIMIT = 100;

/** A query string, each name with its value or, when repeated, its values in order. */
export type QueryValues = Record<string, string | string[]>;

type Filter = {
  fromRevision?: number;
  registrationStates?: unknown[];
  registrationTypeIds?: string[];
  contactReference?: string;
  showDeleted?: boolean;
  reference?: string;
  webhookId?: string;
};

// A repeated comma-list parameter is one longer list; a repeated single value is ambiguous.
const COMMA_LISTS: ReadonlySet<QueryParam> = new Set([
  "registrationStates",
  "registrationTypes",
  "registrationType",
]);

/**
 * On v2 (SPEC section 9) a query parameter the route does not know is a 400 naming it, so a
 * client filtering by something this server lacks never silently gets everything. v1 ignores them.
 */
function refuseUnknown(route: CompiledRoute, query: QueryValues): void {
  const known = new Set<string>(route.params ?? []);
  const unknown = Object.keys(query).filter((name) => !known.has(name));
  if (unknown.length === 0) return;
  const choices = known.size > 0 ? `; this route takes ${[...known].join(", ")}` : "; this route takes none";
  throw new AppError("BAD_REQUEST", `Unknown query parameter: ${unknown.join(", ")}`, {
    errors: unknown.map((name) => ({
      field: name,
      message: route.unsupportedParams?.includes(name)
        ? "is not supported by this server"
        : `is not a parameter of this route${choices}`,
    })),
  });
}

/**
 * The query parameters as the operation's `first` and `filter`, checked here so a bad value is a
 * 422 naming the parameter as the client spelled it.
 */
export function queryVariables(route: CompiledRoute, query: QueryValues): Record<string, unknown> {
  const { dialect } = route;
  if (dialect.strictQuery) refuseUnknown(route, query);
  const params = route.params;
  if (!params) return {};
  const errors: FieldError[] = [];
  const take = (name: QueryParam): string | undefined => {
    if (!params.includes(name)) return undefined;
    const given = query[name];
    if (given === undefined) return undefined;
    const value = Array.isArray(given) && COMMA_LISTS.has(name) ? given.join(",") : given;
    if (typeof value !== "string") {
      errors.push({ field: name, message: "must be given once" });
      return undefined;
    }
    // A NUL is no value's, but it is not an unknown one either: the parameter itself is malformed.
    if (value.includes("\u0000")) {
      errors.push({ field: name, message: "must not contain NUL characters" });
      return undefined;
    }
    return value;
  };
  const commaList = (value: string) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");

  const filter: Filter = params.includes("showDeleted") ? { showDeleted: true } : {};
  let first = MAX_LIMIT;
  const fromRevision = take("fromRevision");
  if (fromRevision !== undefined) {
    if (/^\d{1,16}$/.test(fromRevision) && Number.isSafeInteger(Number(fromRevision))) {
      filter.fromRevision = Number(fromRevision);
    } else errors.push({ field: "fromRevision", message: "must be a non-negative integer" });
  }
  const limit = take("limit");
  if (limit !== undefined) {
    const value = /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
    if (value >= 1 && value <= MAX_LIMIT) first = value;
    else errors.push({ field: "limit", message: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  const states = take("registrationStates");
  const stateType = getNamedType(route.filter?.getFields().registrationStates?.type);
  if (states !== undefined && isEnumType(stateType)) {
    const reader = { dialect, errors: [] as FieldError[] };
    const values = commaList(states).flatMap((state): unknown[] =>
      Object.hasOwn(dialect.stateGroups, state)
        ? [...dialect.stateGroups[state]]
        : [readEnum(state, stateType, "registrationStates", reader)],
    );
    const groups = Object.keys(dialect.stateGroups);
    // One message for the parameter, however many of its values are wrong.
    const failed = reader.errors[0];
    if (failed) {
      errors.push({ ...failed, message: [failed.message, ...groups].join(", ") });
    } else filter.registrationStates = [...new Set(values)];
  }
  const types = [take("registrationTypes"), take("registrationType")].filter((value) => value !== undefined);
  if (types.length > 0) filter.registrationTypeIds = [...new Set(types.flatMap(commaList))];
  const contactReference = take("contactReference");
  if (contactReference !== undefined) filter.contactReference = contactReference;
  const reference = take("reference");
  if (reference !== undefined) filter.reference = reference;
  const webhookId = take("webhookId");
  if (webhookId !== undefined) {
    if (webhookId !== "") filter.webhookId = webhookId;
    else errors.push({ field: "webhookId", message: "must be a webhook id" });
  }
  const showDeleted = take("showDeleted");
  if (showDeleted !== undefined) {
    if (showDeleted === "true" || showDeleted === "false") filter.showDeleted = showDeleted === "true";
    else errors.push({ field: "showDeleted", message: "must be true or false" });
  }
  if (errors.length > 0) throw invalidInput(errors);
  return { first, filter };
}

/** The request body as the operation's `$input`: 400 when it cannot be read, 422 listing every bad field. */
export function bodyInput(route: CompiledRoute, text: string): Record<string, unknown> {
  const { input } = route;
  if (!input) throw new Error(`${route.method} ${route.element} takes no body`);
  let body: unknown;
  if (route.dialect.format === "json") {
    if (jsonNestingExceeds(text, MAX_BODY_DEPTH)) {
      throw new AppError("BAD_REQUEST", `JSON values nest deeper than ${MAX_BODY_DEPTH} levels`);
    }
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError("BAD_REQUEST", "The request body is not valid JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new AppError("BAD_REQUEST", `The body must be one JSON object (a ${route.element})`);
    }
  } else {
    body = parseXmlBody(text, route.element, input.xmlListItems);
  }
  const result = readInput(body, input.type, route.record, route.dialect);
  if (result.errors.length > 0) throw invalidInput(result.errors);
  return result.input;
}
