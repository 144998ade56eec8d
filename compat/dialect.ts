import type { GraphQLEnumType } from "graphql";
import type { CallType } from "@/src/services/usage-recorder.js";
import { enumFromRest, enumToRest, toCamel, toKebab } from "./kebab-case.js";

export type RestFormat = "json" | "xml";

/** Which error document a family answers with (see error-render.ts). */
export type ErrorStyle = "json" | "xml" | "v2";

/**
 * How one REST family speaks: how it spells the one field model, where its routes live and how it answers.
 * The mapping to GraphQL is by rule (never a table per field), so a field added to the schema
 * appears in every family with no change here.
 */
export type RestDialect = {
  name: "json" | "xml" | "v2";
  /** Where its routes are mounted; route paths are relative to it. */
  prefix: string;
  /** How it is named in documentation (OpenAPI tags). */
  label: string;
  /** The syntax of its request and response bodies. */
  format: RestFormat;
  /** How statistics count its calls (SPEC section 7). */
  callType: Extract<CallType, "JSON" | "XML">;
  /** A GraphQL field name as the family spells it; `fieldFromRest` is its inverse. */
  fieldToRest(name: string): string;
  fieldFromRest(name: string): string;
  /** A GraphQL enum value as the family sends it. */
  enumToRest(value: string): string;
  /** The GraphQL enum value a client's spelling stands for, or undefined when it is none. */
  enumFromRest(raw: string, type: GraphQLEnumType): string | undefined;
  /** Values of `registrationStates` that stand for several states (Visit's `incomplete`). */
  stateGroups: Readonly<Record<string, readonly string[]>>;
  /** Whether a query parameter the route does not know is refused (v2) or ignored (v1). */
  strictQuery: boolean;
  errorStyle: ErrorStyle;
};

/** A dotted GraphQL field path (`answers.0.questionId`) in the family's spelling. */
export const pathToRest = (dialect: RestDialect, path: string): string =>
  path.split(".").map(dialect.fieldToRest).join(".");

/** The name of a record of a GraphQL type: `RegistrationType` -> `registration-type` / `registrationType`. */
export const recordName = (dialect: RestDialect, typeName: string): string =>
  dialect.fieldToRest(typeName.charAt(0).toLowerCase() + typeName.slice(1));

/** `PENDING_CONFIRMATION` -> `pendingConfirmation`: Visit's current spelling of enum values. */
export const enumToLowerCamel = (value: string): string =>
  value.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

const v1 = {
  fieldToRest: toKebab,
  fieldFromRest: toCamel,
  enumToRest,
  enumFromRest(raw: string, type: GraphQLEnumType) {
    const value = enumFromRest(raw);
    return enumToRest(value) === raw && type.getValue(value) ? value : undefined;
  },
  stateGroups: {},
  strictQuery: false,
} as const;

/** SPEC section 5: `/json/...`, kebab-case. */
export const V1_JSON: RestDialect = {
  ...v1,
  name: "json",
  prefix: "/json",
  label: "JSON",
  format: "json",
  callType: "JSON",
  errorStyle: "json",
};

/** SPEC section 5: `/xml/...`, kebab-case elements. */
export const V1_XML: RestDialect = {
  ...v1,
  name: "xml",
  prefix: "/xml",
  label: "XML",
  format: "xml",
  callType: "XML",
  errorStyle: "xml",
};

/** SPEC section 9: Visit Create v2, camelCase JSON; enum values lower camelCase, upper case accepted. */
export const V2: RestDialect = {
  name: "v2",
  prefix: "/create/v2",
  label: "Visit Create v2",
  format: "json",
  callType: "JSON",
  fieldToRest: (name) => name,
  fieldFromRest: (name) => name,
  enumToRest: enumToLowerCamel,
  enumFromRest(raw, type) {
    const value = type.getValues().find((item) => item.name === raw || enumToLowerCamel(item.name) === raw);
    return value?.name;
  },
  stateGroups: { incomplete: ["INVITED", "REGISTERING", "STOPPED"] },
  strictQuery: true,
  errorStyle: "v2",
};
