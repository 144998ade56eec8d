import {
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
} from "graphql";
import type { FieldError } from "@/src/errors/app-error.js";
import { enumFromRest, enumToRest, singular, toCamel, toKebab, typeElement } from "./kebab-case.js";
import type { RestFormat } from "./route-table.js";
import { XML_ATTRIBUTE_PREFIX, XML_TEXT, type XmlNode } from "./xml-parse.js";

/**
 * The REST view of the one field model: GraphQL's types, spelled in kebab-case. Both directions
 * walk the GraphQL schema, so every type, list and enum in REST is the schema's, not a copy.
 */
export type RestValue = string | number | boolean | RestValue[] | RestObject;
type RestObject = { [key: string]: RestValue };

/** A GraphQL result in REST spelling: kebab-case keys, REST enum values, null fields left out. */
export function toRest(value: unknown, type: GraphQLOutputType): RestValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (isNonNullType(type)) return toRest(value, type.ofType);
  if (isListType(type)) {
    return (value as unknown[])
      .map((item) => toRest(item, type.ofType))
      .filter((item): item is RestValue => item !== undefined);
  }
  if (isObjectType(type)) {
    const fields = type.getFields();
    const rest: RestObject = {};
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      const field = fields[name];
      const converted = field ? toRest(item, field.type) : undefined;
      if (converted !== undefined) rest[toKebab(name)] = converted;
    }
    return rest;
  }
  if (isEnumType(type)) return enumToRest(String(value));
  // Scalars arrive serialized: strings (ids, ISO-8601 UTC dates), numbers (revisions), booleans.
  return value as string | number | boolean;
}

/**
 * The dotted paths of the XML elements that are list items (`visitor.answers.answer`), so the
 * parser makes arrays of exactly these. Input types are finite trees; the depth cap only guards
 * against a recursive input type ever being added.
 */
export function xmlListItems(root: string, type: GraphQLInputObjectType, depth = 16): Set<string> {
  const items = new Set<string>();
  const walk = (object: GraphQLInputObjectType, prefix: string, left: number) => {
    if (left === 0) return;
    for (const field of Object.values(object.getFields())) {
      const element = `${prefix}.${toKebab(field.name)}`;
      const unwrapped = isNonNullType(field.type) ? field.type.ofType : field.type;
      const named = getNamedType(field.type);
      const path = isListType(unwrapped) ? `${element}.${singular(toKebab(field.name))}` : element;
      if (isListType(unwrapped)) items.add(path);
      if (isInputObjectType(named)) walk(named, path, left - 1);
    }
  };
  walk(type, root, depth);
  return items;
}

type Reader = { format: RestFormat; errors: FieldError[] };

/** Marks a value that could not be read; its error is already listed. */
const INVALID = Symbol("invalid");
type Read = unknown | typeof INVALID;

/**
 * Reads a REST request body into the GraphQL input it spells, listing every failing field (as a
 * kebab-case path) instead of stopping at the first. Fields the record has but the input does
 * not (id, revision, created-at...) are ignored, so a document read with GET can be sent back
 * with PUT; any other unknown field is an error. XML gives every value as text: the schema types
 * decide what it means.
 */
export function readInput(
  body: unknown,
  type: GraphQLInputObjectType,
  record: GraphQLObjectType,
  format: RestFormat,
): { input: Record<string, unknown>; errors: FieldError[] } {
  const reader: Reader = { format, errors: [] };
  const input = readObject(body, type, record, "", reader);
  return { input: input === INVALID ? {} : (input as Record<string, unknown>), errors: reader.errors };
}

/** Enough to fix any real body; a body of thousands of bad fields gets no answer thousands long. */
const MAX_FIELD_ERRORS = 100;

function fail(reader: Reader, path: string, message: string): typeof INVALID {
  if (reader.errors.length < MAX_FIELD_ERRORS) reader.errors.push({ field: path || "body", message });
  else if (reader.errors.length === MAX_FIELD_ERRORS) {
    reader.errors.push({
      field: "body",
      message: `more fields fail; only the first ${MAX_FIELD_ERRORS} are listed`,
    });
  }
  return INVALID;
}

type XmlParts = { nil: boolean; text: string; children: [string, XmlNode | XmlNode[]][] };

/** One XML element: `xsi:nil="true"` (null), its text, and its child elements. */
function xmlParts(node: unknown): XmlParts {
  if (typeof node === "string") return { nil: false, text: node, children: [] };
  const parts: XmlParts = { nil: false, text: "", children: [] };
  for (const [key, value] of Object.entries(node as Record<string, XmlNode | XmlNode[]>)) {
    if (key === XML_TEXT) parts.text = String(value);
    else if (key.startsWith(XML_ATTRIBUTE_PREFIX)) {
      if (key === `${XML_ATTRIBUTE_PREFIX}xsi:nil` && value === "true") parts.nil = true;
    } else parts.children.push([key, value]);
  }
  return parts;
}

const isBlank = (text: string) => text.trim() === "";

function read(
  value: unknown,
  type: GraphQLInputType,
  record: GraphQLObjectType | undefined,
  path: string,
  reader: Reader,
): Read {
  // A repeated element where the schema has one value; list items are arrays inside their list.
  if (reader.format === "xml" && Array.isArray(value)) return fail(reader, path, "must appear once");
  const xml = reader.format === "xml" ? xmlParts(value) : undefined;
  if (value === null || xml?.nil) {
    return isNonNullType(type) ? fail(reader, path, "must not be null") : null;
  }
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) return readList(value, nullable.ofType, record, path, reader);
  if (isInputObjectType(nullable)) return readObject(value, nullable, record, path, reader);
  if (xml && xml.children.length > 0) return fail(reader, path, "must be text, not elements");
  const raw = xml ? xml.text : value;
  if (isEnumType(nullable)) return readEnum(raw, nullable, path, reader);
  return readScalar(raw, nullable.name, path, reader);
}

function readList(
  value: unknown,
  itemType: GraphQLInputType,
  record: GraphQLObjectType | undefined,
  path: string,
  reader: Reader,
): Read {
  let items: unknown[];
  if (reader.format === "json") {
    if (!Array.isArray(value)) return fail(reader, path, "must be a list");
    items = value;
  } else {
    // <answers><answer>...</answer></answers>: the plural element holds only singular ones.
    const parts = xmlParts(value);
    const item = singular(path.split(".").at(-1) ?? "");
    if (!isBlank(parts.text)) return fail(reader, path, `must hold <${item}> elements, not text`);
    const other = parts.children.find(([name]) => name !== item);
    if (other) return fail(reader, `${path}.${other[0]}`, `is not allowed here; list items are <${item}>`);
    const found = parts.children[0]?.[1];
    items = found === undefined ? [] : Array.isArray(found) ? found : [found];
  }
  const result = items.map((item, index) => read(item, itemType, record, `${path}.${index}`, reader));
  return result.includes(INVALID) ? INVALID : result;
}

function readObject(
  value: unknown,
  type: GraphQLInputObjectType,
  record: GraphQLObjectType | undefined,
  path: string,
  reader: Reader,
): Read {
  let entries: [string, unknown][];
  if (reader.format === "json") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return fail(reader, path, "must be an object");
    }
    entries = Object.entries(value);
  } else {
    const parts = xmlParts(value);
    if (!isBlank(parts.text)) return fail(reader, path, "must hold elements, not text");
    entries = parts.children;
  }
  const fields = type.getFields();
  const recordFields = record?.getFields() ?? {};
  const input: Record<string, unknown> = {};
  const seen = new Set<string>();
  let valid = true;
  for (const [key, child] of entries) {
    if (reader.errors.length > MAX_FIELD_ERRORS) return INVALID;
    const name = toCamel(key);
    const fieldPath = path ? `${path}.${key}` : key;
    // Only the canonical kebab spelling is a field name: `firstName` is not `first-name`.
    const canonical = toKebab(name) === key;
    seen.add(name);
    if (canonical && Object.hasOwn(fields, name)) {
      const recordType = Object.hasOwn(recordFields, name)
        ? getNamedType(recordFields[name]!.type)
        : undefined;
      const result = read(
        child,
        fields[name]!.type,
        isObjectType(recordType) ? recordType : undefined,
        fieldPath,
        reader,
      );
      if (result === INVALID) valid = false;
      else input[name] = result;
    } else if (!(canonical && Object.hasOwn(recordFields, name))) {
      fail(reader, fieldPath, `is not a field of ${typeElement(record?.name ?? type.name)}`);
      valid = false;
    }
  }
  for (const field of Object.values(fields)) {
    if (isNonNullType(field.type) && field.defaultValue === undefined && !seen.has(field.name)) {
      fail(reader, path ? `${path}.${toKebab(field.name)}` : toKebab(field.name), "is required");
      valid = false;
    }
  }
  return valid ? input : INVALID;
}

/** A REST enum value (`pending-confirmation`) as GraphQL's (`PENDING_CONFIRMATION`), or an error listing the choices. */
export function readEnum(
  raw: unknown,
  type: GraphQLEnumType,
  path: string,
  reader: { errors: FieldError[] },
): Read {
  const allowed = type.getValues().map((value) => enumToRest(value.name));
  if (typeof raw === "string" && allowed.includes(raw)) return enumFromRest(raw);
  reader.errors.push({ field: path || "body", message: `must be one of ${allowed.join(", ")}` });
  return INVALID;
}

function readScalar(raw: unknown, scalar: string, path: string, reader: Reader): Read {
  const xml = reader.format === "xml";
  switch (scalar) {
    case "Boolean":
      if (typeof raw === "boolean") return raw;
      if (xml && (raw === "true" || raw === "false")) return raw === "true";
      return fail(reader, path, "must be true or false");
    case "Int":
    case "Revision": {
      const number = xml && typeof raw === "string" && /^-?\d{1,16}$/.test(raw) ? Number(raw) : raw;
      if (typeof number === "number" && Number.isSafeInteger(number)) return number;
      return fail(reader, path, "must be an integer");
    }
    case "Float": {
      const number = xml && typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
      if (typeof number === "number" && Number.isFinite(number)) return number;
      return fail(reader, path, "must be a number");
    }
    default:
      // String, ID, DateTimeISO and any other text scalar: the schema parses the text itself.
      if (typeof raw === "string") return raw;
      return fail(reader, path, "must be a string");
  }
}
