import { useState } from "preact/hooks";
import { ApiError, type FieldError, messageOf } from "../api/client";

/**
 * Errors of a form: the server's `extensions.errors` by field (shown beside that field) and a
 * general message for everything else. `known` lists the fields the form shows; an error on
 * `allowedIps.2` belongs to the field `allowedIps`.
 */
export function useFieldErrors(known: readonly string[]) {
  const [fields, setFields] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | undefined>(undefined);

  const fieldOf = (path: string): string | undefined => {
    const parts = path.split(".");
    for (let size = parts.length; size > 0; size--) {
      const candidate = parts.slice(0, size).join(".");
      if (known.includes(candidate)) return candidate;
    }
    return undefined;
  };

  return {
    fields,
    general,
    /** Shows what the server said: field errors beside their fields, the rest above the form. */
    show(error: unknown) {
      const byField: Record<string, string> = {};
      const unplaced: FieldError[] = [];
      const list = error instanceof ApiError ? error.fieldErrors : [];
      for (const item of list) {
        const field = fieldOf(item.field);
        if (field === undefined) unplaced.push(item);
        else byField[field] = byField[field] ? `${byField[field]}; ${item.message}` : item.message;
      }
      setFields(byField);
      const rest = unplaced.map((item) => `${item.field}: ${item.message}`).join("; ");
      setGeneral(list.length > 0 && !rest ? undefined : rest || messageOf(error));
    },
    set(field: string, message: string | undefined) {
      setFields((current) => {
        const { [field]: _, ...others } = current;
        return message ? { ...others, [field]: message } : others;
      });
    },
    clear() {
      setFields({});
      setGeneral(undefined);
    },
    get any() {
      return general !== undefined || Object.keys(fields).length > 0;
    },
  };
}
