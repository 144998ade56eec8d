import type { ApiKey } from "../api/types";

/** How a key is named in lists: its prefix and comments. */
export const keyLabel = (key: Pick<ApiKey, "prefix" | "comments"> | undefined, id: string): string =>
  key ? `${key.prefix}…${key.comments ? ` (${key.comments})` : ""}` : id;

export const runTone = (status: string) =>
  status === "SUCCEEDED" ? "good" : status === "RUNNING" ? "neutral" : "bad";
