/** What an Authorization header carries, before anyone looks it up. */
export type Credentials = { scheme: "basic" | "bearer"; secret: string };

/**
 * Parses `Bearer <secret>` and `Basic base64(key + ":")` (also `Basic base64(key)`, as the Visit
 * platform accepts). Returns undefined without a header, "malformed" for anything unusable.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined | "malformed" {
  if (header === undefined || header.trim() === "") return undefined;
  const match = /^(\w+)\s+(\S+)\s*$/.exec(header);
  if (!match) return "malformed";
  const scheme = match[1].toLowerCase();
  const value = match[2];
  if (scheme === "bearer") return { scheme, secret: value };
  if (scheme !== "basic") return "malformed";
  const decoded = Buffer.from(value, "base64").toString("utf8");
  // The key is the user name; the password part must be empty.
  const secret = decoded.endsWith(":") ? decoded.slice(0, -1) : decoded;
  if (secret === "" || secret.includes(":")) return "malformed";
  return { scheme, secret };
}
