import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

/** An opaque session token: 256 random bits; only its SHA-256 is stored. */
export const newSessionToken = () => `vs_${randomBytes(32).toString("base64url")}`;

export function constantTimeEquals(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}
