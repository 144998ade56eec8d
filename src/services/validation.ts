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
