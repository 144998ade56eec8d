import type { Request } from "express";
import { getNamedType, isEnumType } from "graphql";
import { AppError, type FieldError, invalidInput } from "@/src/errors/app-error.js";
import { jsonNestingExceeds } from "@/src/http/body-checks.js";
import { readEnum, readInput } from "./rest-model.js";
import type { CompiledRoute, ListParam, RestFormat } from "./route-table.js";
import { MAX_BODY_DEPTH, parseXmlBody } from "./xml-parse.js";

/** Largest page (SPEC sections 2 and 5). */
export const MAX_LIMIT = 100;

type Filter = {
  fromRevision?: number;
  registrationStates?: unknown[];
  registrationTypeIds?: string[];
  showDeleted: boolean;
};

/**
 * The list parameters as the operation's `first` and `filter`, checked here so a bad value is a
 * 422 naming the parameter as the client spelled it. Parameters a route does not list are ignored.
 */
export function listVariables(route: CompiledRoute, query: Request["query"]) {
  const errors: FieldError[] = [];
  const take = (name: ListParam): string | undefined => {
    if (!route.listParams?.includes(name)) return undefined;
    const value = query[name];
    if (value === undefined) return undefined;
    // A repeated comma-list parameter is one longer list; a repeated single value is ambiguous.
    if (Array.isArray(value) && (name === "registrationStates" || name === "registrationTypes")) {
      return value.join(",");
    }
    if (typeof value === "string") return value;
    errors.push({ field: name, message: "must be given once" });
    return undefined;
  };
  const commaList = (value: string) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");

  const filter: Filter = { showDeleted: true };
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
    const reader = { errors: [] as FieldError[] };
    const values = commaList(states).map((state) => readEnum(state, stateType, "registrationStates", reader));
    // One message for the parameter, however many of its values are wrong.
    if (reader.errors.length > 0) errors.push(reader.errors[0]!);
    else filter.registrationStates = values;
  }
  const types = take("registrationTypes");
  // A NUL is no id's, but it is not an unknown id either: the filter itself is malformed.
  if (types?.includes("\u0000"))
    errors.push({ field: "registrationTypes", message: "must not contain NUL characters" });
  else if (types !== undefined) filter.registrationTypeIds = commaList(types);
  const showDeleted = take("showDeleted");
  if (showDeleted !== undefined) {
    if (showDeleted === "true" || showDeleted === "false") filter.showDeleted = showDeleted === "true";
    else errors.push({ field: "showDeleted", message: "must be true or false" });
  }
  if (errors.length > 0) throw invalidInput(errors);
  return { first, filter };
}

/** The request body as the operation's `$input`: 400 when it cannot be read, 422 listing every bad field. */
export function bodyInput(route: CompiledRoute, format: RestFormat, text: string): Record<string, unknown> {
  const input = route.input!;
  let body: unknown;
  if (format === "json") {
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
  const result = readInput(body, input.type, route.record, format);
  if (result.errors.length > 0) throw invalidInput(result.errors);
  return result.input;
}
