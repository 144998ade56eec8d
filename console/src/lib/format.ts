const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A timestamp in the browser's time zone, or a dash. */
export const formatDateTime = (iso: string | null | undefined): string =>
  iso ? dateTime.format(new Date(iso)) : "—";

const precise = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** With seconds, for attempts that come seconds apart (webhook retries). */
export const formatDateTimeSeconds = (iso: string | null | undefined): string =>
  iso ? precise.format(new Date(iso)) : "—";

/** `<input type="datetime-local">` value for an ISO timestamp, in local time. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** ISO timestamp (UTC) for a `<input type="datetime-local">` value, or null when empty or invalid. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export const formatJson = (value: unknown): string => JSON.stringify(value, null, 2) ?? "undefined";
