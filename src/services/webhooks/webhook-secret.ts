import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { settings } from "@/schema/tables/index.js";
import type { Queryable } from "@/src/db/database.js";

/**
 * Signing secrets of webhooks and notification URLs (Standard Webhooks: `whsec_` + base64 of the
 * key). HMAC needs the key itself, so it cannot be stored as a hash: it is stored encrypted with
 * AES-256-GCM under the deployment's key (WEBHOOK_SECRET_KEY, or one the server generates and keeps
 * in the `settings` table when that is unset), bound to its webhook's id, and shown once.
 */

const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;
const SEALED_VERSION = "v1";
const FALLBACK_KEY_SETTING = "webhook-secret-key";

export const newWebhookSecret = () => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString("base64")}`;

/**
 * The `webhook-signature` header of Standard Webhooks: `v1,` + base64 HMAC-SHA256 over
 * `<webhook-id>.<webhook-timestamp>.<body>` with the decoded secret. Pings have no body.
 */
export function signPing(secret: string, messageId: string, timestamp: number, body = ""): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  const mac = createHmac("sha256", key).update(`${messageId}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}

const keyId = (key: Buffer) => createHash("sha256").update(key).digest("hex").slice(0, 8);

/** Encrypts and decrypts signing secrets; the key is read (or created) once, on first use. */
export class WebhookSecrets {
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly configuredKey: Buffer | undefined,
  ) {}

  /** `v1.<key id>.<iv>.<ciphertext>.<tag>`, authenticated with the webhook's id. */
  async seal(webhookId: string, secret: string): Promise<string> {
    const key = await this.currentKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(webhookId));
    const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    return [SEALED_VERSION, keyId(key), iv, sealed, cipher.getAuthTag()]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  async open(webhookId: string, sealed: string): Promise<string> {
    const key = await this.currentKey();
    const [version, id, iv, data, tag] = sealed.split(".");
    if (version !== SEALED_VERSION || !iv || !data || !tag) throw new Error("unreadable signing secret");
    if (id !== keyId(key)) {
      throw new Error("the signing secret was sealed with another WEBHOOK_SECRET_KEY");
    }
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"))
      .setAAD(Buffer.from(webhookId))
      .setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  }

  private currentKey(): Promise<Buffer> {
    this.key ??= this.configuredKey ? Promise.resolve(this.configuredKey) : this.fallbackKey();
    // A failed read is retried on the next call rather than remembered.
    this.key.catch(() => {
      this.key = undefined;
    });
    return this.key;
  }

  /** Without WEBHOOK_SECRET_KEY: a random key kept in the database, created by whichever instance comes first. */
  private async fallbackKey(): Promise<Buffer> {
    await this.db
      .insert(settings)
      .values({ key: FALLBACK_KEY_SETTING, value: randomBytes(32).toString("base64") })
      .onConflictDoNothing();
    const [row] = await this.db.select().from(settings).where(eq(settings.key, FALLBACK_KEY_SETTING));
    if (!row) throw new Error("the webhook secret key setting is missing");
    return Buffer.from(row.value, "base64");
  }
}
