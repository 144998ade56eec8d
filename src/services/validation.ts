import { z } from "zod";
import { type FieldError, invalidInput } from "@/src/errors/app-error.js";

/** Validates with zod and reports every failing field at once, as a dotted path. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, prefix = ""): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidInput(zodFieldErrors(result.error, prefix));
}

/** Like parseInput, but adds failures to `errors` and returns undefined: for validating many inputs at once. */
export function collectInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  prefix: string,
  errors: FieldErrors,
): z.infer<T> | undefined {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  errors.list.push(...zodFieldErrors(result.error, prefix));
  return undefined;
}

export function zodFieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter((part) => part !== "").join(".") || "input",
    message: issue.message,
  }));
}

/** Collects rule violations that zod cannot see (references to other records) before throwing once. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw invalidInput(this.list);
  }
}

/** PostgreSQL text and jsonb cannot hold U+0000: refused here, so the error names the field instead of failing in SQL. */
export const withoutNul = [
  (value: string) => !value.includes("\u0000"),
  "must not contain NUL characters",
] as const;

/**
 * A field with a default: omitted or null both mean the default (the GraphQL input field is
 * nullable, so clients may send an explicit null).
 */
export const withDefault = <T extends z.ZodType>(schema: T, fallback: z.output<T>) =>
  z.preprocess((value) => value ?? undefined, schema.optional()).transform((value) => value ?? fallback);

const trimmed = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine(...withoutNul);

export const text = {
  /** A required, non-empty short text. */
  name: trimmed(200).min(1, "must not be empty"),
  short: trimmed(200).nullish(),
  reference: trimmed(200).nullish(),
  long: trimmed(20_000).nullish(),
  email: trimmed(254).pipe(z.email("must be a valid email address")).nullish(),
  url: trimmed(2_000)
    .pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }))
    .nullish(),
};

export const addressSchema = z
  .object({
    street: text.short,
    street2: text.short,
    postalCode: text.short,
    city: text.short,
    region: text.short,
    country: text.short,
  })
  .strict();

export const contactSchema = z
  .object({
    firstName: text.short,
    lastName: text.short,
    email: text.email,
    company: text.short,
    jobTitle: text.short,
    phone: text.short,
    reference: text.reference,
    address: addressSchema.nullish(),
  })
  .strict();

export type ContactInputValue = z.infer<typeof contactSchema>;

/**
 * Hand-written checks for the common case of a bulk input: each accepts exactly what the schema
 * above would accept for a well-formed value and returns the same result, or REFUSED when anything
 * is off. A refused input then goes through its zod schema, which decides and words the errors, so
 * error messages and field paths never depend on these. They skip zod's allocations (a thousand
 * items are otherwise validated field by field twice: GraphQL coercion, then zod).
 */
export const REFUSED: unique symbol = Symbol("refused");
export type Refused = typeof REFUSED;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Like `trimmed(max).nullish()`: text.short, text.reference (200), text.long (20,000). */
export function quickText(value: unknown, max = 200): string | null | undefined | Refused {
  if (value === undefined || value === null) return value;
  if (typeof value !== "string") return REFUSED;
  const trimmedValue = value.trim();
  return trimmedValue.length > max || trimmedValue.includes("\u0000") ? REFUSED : trimmedValue;
}

/** Like `z.string().nullish()`. */
export function quickId(value: unknown): string | null | undefined | Refused {
  return value === undefined || value === null || typeof value === "string" ? value : REFUSED;
}

/** Like `text.email`: the default pattern of zod's z.email(), on the trimmed text. */
export function quickEmail(value: unknown): string | null | undefined | Refused {
  const checked = quickText(value, 254);
  return typeof checked === "string" && !z.regexes.email.test(checked) ? REFUSED : checked;
}

/** Whether an object has no keys beyond `allowed` (zod's `.strict()`). */
export function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(value)) if (!allowed.has(key)) return false;
  return true;
}

const ADDRESS_KEYS = new Set(["street", "street2", "postalCode", "city", "region", "country"]);
const CONTACT_KEYS = new Set([
  "firstName",
  "lastName",
  "email",
  "company",
  "jobTitle",
  "phone",
  "reference",
  "address",
]);

/** Sets `key` on `target` when the input had it (zod keeps absent optional keys absent). */
function copy(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/** Like `contactSchema.nullish()`. */
export function quickContact(value: unknown): ContactInputValue | null | undefined | Refused {
  if (value === undefined || value === null) return value;
  if (!isRecord(value) || !onlyKeys(value, CONTACT_KEYS)) return REFUSED;
  const contact: Record<string, unknown> = {};
  for (const key of ["firstName", "lastName", "company", "jobTitle", "phone", "reference"]) {
    const checked = quickText(value[key]);
    if (checked === REFUSED) return REFUSED;
    copy(contact, key, checked);
  }
  const email = quickEmail(value.email);
  if (email === REFUSED) return REFUSED;
  copy(contact, "email", email);
  const address = value.address;
  if (address === null) contact.address = null;
  else if (address !== undefined) {
    if (!isRecord(address) || !onlyKeys(address, ADDRESS_KEYS)) return REFUSED;
    const checkedAddress: Record<string, unknown> = {};
    for (const key of ADDRESS_KEYS) {
      const checked = quickText(address[key]);
      if (checked === REFUSED) return REFUSED;
      copy(checkedAddress, key, checked);
    }
    contact.address = checkedAddress;
  }
  return contact as ContactInputValue;
}
