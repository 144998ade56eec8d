import { registerEnumType } from "type-graphql";
import { REGISTRATION_STATES, type RegistrationStateValue } from "@/schema/tables/visitor.table.js";
import { ROLES, type Role as RoleValue } from "@/src/auth/actor.js";

/** A GraphQL enum from a list of values (type-graphql registers objects, not string unions). */
export const enumObject = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((value) => [value, value])) as { [K in T]: K };

export const RegistrationState = enumObject<RegistrationStateValue>(REGISTRATION_STATES);
export const RegistrationKind = enumObject(["VISITOR", "PARTNER"] as const);
export const RegistrationTypeLevel = enumObject(["EXPO", "ORGANIZATION"] as const);
export const QuestionKind = enumObject(["SINGLE_CHOICE", "MULTIPLE_CHOICE", "TEXT"] as const);
export const Role = enumObject<RoleValue>(ROLES);

registerEnumType(RegistrationState, {
  name: "RegistrationState",
  description:
    "Where a registration stands; INVITED is a partial registration a third party may complete later.",
});
registerEnumType(RegistrationKind, { name: "RegistrationKind" });
registerEnumType(RegistrationTypeLevel, {
  name: "RegistrationTypeLevel",
  description:
    "Where a registration type belongs, in the Visit platform's words: EXPO (one event) or ORGANIZATION (every event).",
});
registerEnumType(QuestionKind, { name: "QuestionKind" });
registerEnumType(Role, {
  name: "Role",
  description:
    "ADMIN: everything. USER_ACCOUNT_MANAGEMENT: users, API keys, functions, statistics. DATA_MANAGEMENT: events, registration types, visitors, partners.",
});
