import {
  type GraphQLEnumType,
  GraphQLError,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from "graphql";
import type { FieldError } from "@/src/errors/app-error.js";
import { type RestDialect, recordName } from "./dialect.js";
import { singular, toKebab } from "./kebab-case.js";
import { XML_ATTRIBUTE_PREFIX, XML_TEXT, type XmlNode } from "./xml-parse.js";

/**
 * The REST view of the one field model: GraphQL's types, spelled the way a family spells them
 * (see dialect.ts). Both directions walk the GraphQL schema, so every type, list and enum in REST
 * is the schema's, not a copy.
 */
export type RestValue = string | number | boolean | RestValue[] | RestObject;
type RestObject = { [key: string]: RestValue };

/**
 * What a route's document selects, read once from its selection set: objects list their fields
 * under their response keys (an alias renames a field), in selection order.
 */
export type OutputShape =
  | { kind: "leaf"; type: GraphQLLeafType }
  | { kind: "list"; item: OutputShape }
  | { kind: "object"; type: GraphQLObjectType; fields: OutputField[] };
export type OutputField = { key: string; field: GraphQLField<unknown, unknown>; shape: OutputShape };

/** The shape of a value of `type` as `selection` asks for it (a validated document's selection). */
export function outputShape(type: GraphQLOutputType, selection: SelectionSetNode | undefined): OutputShape {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return { kind: "list", item: outputShape(nullable.ofType, selection) };
  if (isLeafType(nullable)) return { kind: "leaf", type: nullable };
  if (!isObjectType(nullable) || !selection) {
    throw new GraphQLError(`REST documents select fields of object types, not ${String(nullable)}`);
  }
  const fields = nullable.getFields();
  return {
    kind: "object",
    type: nullable,
    fields: selection.selections.map((node) => {
      const field = node.kind === Kind.FIELD ? fields[node.name.value] : undefined;
      if (node.kind !== Kind.FIELD || !field) {
        throw new GraphQLError(`REST documents select plain fields of ${nullable.name}`);
      }
      return {
        key: node.alias?.value ?? field.name,
        field,
        shape: outputShape(field.type, node.selectionSet),
      };
    }),
  };
}

/** A GraphQL result in a family's spelling: its field names and enum values, null fields left out. */
export function toRest(value: unknown, shape: OutputShape, dialect: RestDialect): RestValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (shape.kind === "list") {
    return (value as unknown[])
      .map((item) => toRest(item, shape.item, dialect))
      .filter((item): item is RestValue => item !== undefined);
  }
  if (shape.kind === "object") {
    const source = value as Record<string, unknown>;
    const rest: RestObject = {};
    for (const { key, shape: fieldShape } of shape.fields) {
      const converted = toRest(source[key], fieldShape, dialect);
      if (converted !== undefined) rest[dialect.fieldToRest(key)] = converted;
    }
    return rest;
  }
  if (isEnumType(shape.type)) return dialect.enumToRest(String(value));
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

type Reader = { dialect: RestDialect; xml: boolean; errors: FieldError[] };

/** Marks a value that could not be read; its error is already listed. */
const INVALID = Symbol("invalid");
type Read = unknown | typeof INVALID;

/**
 * Reads a REST request body into the GraphQL input it spells, listing every failing field (as a
 * path in the family's spelling) instead of stopping at the first. Fields the record has but the
 * input does not (id, revision, created-at...) are ignored, so a document read with GET can be
 * sent back with PUT; any other unknown field is an error. XML gives every value as text: the
 * schema types decide what it means.
 */
export function readInput(
  body: unknown,
  type: GraphQLInputObjectType,
  record: GraphQLObjectType,
  dialect: RestDialect,
): { input: Record<string, unknown>; errors: FieldError[] } {
  const reader: Reader = { dialect, xml: dialect.format === "xml", errors: [] };
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
  if (reader.xml && Array.isArray(value)) return fail(reader, path, "must appear once");
  const xml = reader.xml ? xmlParts(value) : undefined;
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
  if (!reader.xml) {
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
  if (!reader.xml) {
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
    const { dialect } = reader;
    const name = dialect.fieldFromRest(key);
    const fieldPath = path ? `${path}.${key}` : key;
    // Only the family's canonical spelling is a field name: in v1, `firstName` is not `first-name`.
    const canonical = dialect.fieldToRest(name) === key;
    seen.add(name);
    if (canonical && Object.hasOwn(fields, name)) {
      const recordType = Object.hasOwn(recordFields, name)
        ? getNamedType(recordFields[name].type)
        : undefined;
      const result = read(
        child,
        fields[name].type,
        isObjectType(recordType) ? recordType : undefined,
        fieldPath,
        reader,
      );
      if (result === INVALID) valid = false;
      else input[name] = result;
    } else if (!(canonical && Object.hasOwn(recordFields, name))) {
      fail(reader, fieldPath, `is not a field of ${recordName(dialect, record?.name ?? type.name)}`);
      valid = false;
    }
  }
  for (const field of Object.values(fields)) {
    if (isNonNullType(field.type) && field.defaultValue === undefined && !seen.has(field.name)) {
      const key = reader.dialect.fieldToRest(field.name);
      fail(reader, path ? `${path}.${key}` : key, "is required");
      valid = false;
    }
  }
  return valid ? input : INVALID;
}

/**
 * A REST enum value (`pending-confirmation`, v2's `pendingConfirmation`) as GraphQL's
 * (`PENDING_CONFIRMATION`), or an error listing the choices as the family spells them.
 */
export function readEnum(
  raw: unknown,
  type: GraphQLEnumType,
  path: string,
  reader: { dialect: RestDialect; errors: FieldError[] },
): Read {
  const value = typeof raw === "string" ? reader.dialect.enumFromRest(raw, type) : undefined;
  if (value !== undefined) return value;
  const allowed = type.getValues().map((item) => reader.dialect.enumToRest(item.name));
  reader.errors.push({ field: path || "body", message: `must be one of ${allowed.join(", ")}` });
  return INVALID;
}

function readScalar(raw: unknown, scalar: string, path: string, reader: Reader): Read {
  const { xml } = reader;
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
