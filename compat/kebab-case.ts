/**
 * The two spellings of one field model (SPEC section 5): GraphQL names are camelCase and enum values
 * UPPER_SNAKE; REST names are kebab-case and enum values lower-kebab. The mapping is by rule, never a
 * table per field, so a field added to the schema appears in REST with no change here.
 */

/** `registrationTypeId` -> `registration-type-id`. */
export const toKebab = (name: string): string =>
  name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** `registration-type-id` -> `registrationTypeId`; the inverse of toKebab for every camelCase name. */
export const toCamel = (name: string): string =>
  name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/** `PENDING_CONFIRMATION` -> `pending-confirmation`. */
export const enumToRest = (value: string): string => value.toLowerCase().replaceAll("_", "-");

/** `pending-confirmation` -> `PENDING_CONFIRMATION`. */
export const enumFromRest = (value: string): string => value.toUpperCase().replaceAll("-", "_");

/** A dotted GraphQL field path (`answers.0.questionId`) in REST spelling (`answers.0.question-id`). */
export const pathToKebab = (path: string): string => path.split(".").map(toKebab).join(".");

// XML holds a list as a plural element of singular ones. Plurals are regular ("answers" / "answer")
// except collective nouns, which name their members.
const IRREGULAR_SINGULAR: Readonly<Record<string, string>> = { staff: "member" };

/** The element name of one item of a list element: `answers` -> `answer`, `staff` -> `member`. */
export function singular(plural: string): string {
  if (Object.hasOwn(IRREGULAR_SINGULAR, plural)) return IRREGULAR_SINGULAR[plural];
  return plural.endsWith("s") ? plural.slice(0, -1) : `${plural}-item`;
}

/** The list element for records of one kind: `visitor` -> `visitors`. */
export const plural = (name: string): string => `${name}s`;
