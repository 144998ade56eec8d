import { and, desc, eq, inArray, lt } from "drizzle-orm";
import { z } from "zod";
import { API_KEY_STATES, type ApiKeyRow, apiKeyAudit, apiKeys, events } from "@/schema/tables/index.js";
import { type Actor, requireAccountManagement } from "@/src/auth/actor.js";
import { DISPLAY_PREFIX_LENGTH, newApiKeySecret } from "@/src/auth/api-key-format.js";
import type { ApiKeyVerifier } from "@/src/auth/api-key-verifier.js";
import { isIpOrCidr } from "@/src/auth/ip-allow-list.js";
import { sha256 } from "@/src/auth/token.js";
import type { Db, Tx } from "@/src/db/database.js";
import { notFound } from "@/src/errors/app-error.js";
import { newId } from "./ids.js";
import { FieldErrors, parseInput, text, withDefault } from "./validation.js";

export type ApiKey = Omit<ApiKeyRow, "secretHash" | "contactName" | "contactEmail" | "contactPhone"> & {
  contact: { name: string | null; email: string | null; phone: string | null };
};
export type AuditEntry = typeof apiKeyAudit.$inferSelect;

const keyFields = {
  state: z.enum(API_KEY_STATES),
  comments: text.long,
  expiresAt: z.date().nullish(),
  allowedIps: z
    .array(z.string().trim().refine(isIpOrCidr, "must be an IPv4/IPv6 address or CIDR range"))
    .max(100),
  eventIds: z.array(z.string()).max(1_000),
  canWrite: z.boolean(),
  contact: z.object({ name: text.short, email: text.email, phone: text.short }).strict().nullish(),
  rateLimitPerMinute: z.number().int().min(1).max(1_000_000).nullish(),
  concurrencyLimit: z.number().int().min(1).max(10_000).nullish(),
};

const createSchema = z.object({
  ...keyFields,
  state: withDefault(keyFields.state, "ACTIVE"),
  allowedIps: withDefault(keyFields.allowedIps, []),
  eventIds: withDefault(keyFields.eventIds, []),
  canWrite: withDefault(keyFields.canWrite, false),
});
const updateSchema = z.object(keyFields).partial();

export type CreateApiKeyInput = z.input<typeof createSchema>;
export type UpdateApiKeyInput = z.input<typeof updateSchema>;

// Compared and recorded in the audit log; never the secret or its hash.
const AUDITED = [
  "state",
  "comments",
  "expiresAt",
  "allowedIps",
  "eventIds",
  "canWrite",
  "contactName",
  "contactEmail",
  "contactPhone",
  "rateLimitPerMinute",
  "concurrencyLimit",
] as const;

export function toApiKey(row: ApiKeyRow): ApiKey {
  const { secretHash, contactName, contactEmail, contactPhone, ...rest } = row;
  return { ...rest, contact: { name: contactName, email: contactEmail, phone: contactPhone } };
}

function columnsOf(value: z.infer<typeof updateSchema>) {
  return {
    ...(value.state !== undefined && { state: value.state }),
    ...(value.comments !== undefined && { comments: value.comments }),
    ...(value.expiresAt !== undefined && { expiresAt: value.expiresAt }),
    ...(value.allowedIps !== undefined && { allowedIps: [...new Set(value.allowedIps)] }),
    ...(value.eventIds !== undefined && { eventIds: [...new Set(value.eventIds)] }),
    ...(value.canWrite !== undefined && { canWrite: value.canWrite }),
    ...(value.contact !== undefined && {
      contactName: value.contact?.name ?? null,
      contactEmail: value.contact?.email ?? null,
      contactPhone: value.contact?.phone ?? null,
    }),
    ...(value.rateLimitPerMinute !== undefined && { rateLimitPerMinute: value.rateLimitPerMinute }),
    ...(value.concurrencyLimit !== undefined && { concurrencyLimit: value.concurrencyLimit }),
  };
}

function diff(before: Partial<ApiKeyRow>, after: Partial<ApiKeyRow>) {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of AUDITED) {
    if (JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null)) {
      changes[field] = { from: before[field] ?? null, to: after[field] ?? null };
    }
  }
  return changes;
}

export class ApiKeyService {
  constructor(
    private readonly db: Db,
    private readonly verifier: ApiKeyVerifier,
  ) {}

  async list(actor: Actor): Promise<ApiKey[]> {
    const user = requireAccountManagement(actor);
    const rows = await this.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.organisationId, user.organisationId))
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
    return rows.map(toApiKey);
  }

  async get(actor: Actor, id: string): Promise<ApiKey> {
    const user = requireAccountManagement(actor);
    return toApiKey(await this.row(this.db, user.organisationId, id));
  }

  /** Returns the key and its secret: the only time the secret is ever shown. */
  async create(actor: Actor, input: CreateApiKeyInput): Promise<{ apiKey: ApiKey; secret: string }> {
    const user = requireAccountManagement(actor);
    const value = parseInput(createSchema, input);
    await this.checkEvents(user.organisationId, value.eventIds);
    const secret = newApiKeySecret();
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(apiKeys)
        .values({
          id: newId(),
          organisationId: user.organisationId,
          secretHash: sha256(secret),
          prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH),
          createdBy: user.userId,
          ...columnsOf(value),
        } as typeof apiKeys.$inferInsert)
        .returning();
      await this.audit(tx, row, "CREATED", user.userId, diff({}, row));
      return { apiKey: toApiKey(row), secret };
    });
  }

  async update(actor: Actor, id: string, input: UpdateApiKeyInput): Promise<ApiKey> {
    const user = requireAccountManagement(actor);
    const value = parseInput(updateSchema, input);
    if (value.eventIds) await this.checkEvents(user.organisationId, value.eventIds);
    const row = await this.db.transaction(async (tx) => {
      const before = await this.row(tx, user.organisationId, id, true);
      const [after] = await tx
        .update(apiKeys)
        .set({ ...columnsOf(value), updatedAt: new Date() })
        .where(eq(apiKeys.id, id))
        .returning();
      const changes = diff(before, after);
      const action =
        changes.state && Object.keys(changes).length === 1
          ? after.state === "DISABLED"
            ? "DISABLED"
            : "ENABLED"
          : "UPDATED";
      if (Object.keys(changes).length > 0) await this.audit(tx, after, action, user.userId, changes);
      return after;
    });
    await this.verifier.invalidate(id);
    return toApiKey(row);
  }

  async delete(actor: Actor, id: string): Promise<ApiKey> {
    const user = requireAccountManagement(actor);
    const row = await this.db.transaction(async (tx) => {
      const existing = await this.row(tx, user.organisationId, id, true);
      await tx.delete(apiKeys).where(eq(apiKeys.id, id));
      await this.audit(tx, existing, "DELETED", user.userId, {});
      return existing;
    });
    await this.verifier.invalidate(id);
    return toApiKey(row);
  }

  /** The audit trail, newest first; for one key or the whole organisation. */
  async auditLog(
    actor: Actor,
    options: { apiKeyId?: string | null; first?: number | null; before?: Date | null },
  ) {
    const user = requireAccountManagement(actor);
    const first = parseInput(z.number().int().min(1).max(500).nullish(), options.first, "first") ?? 100;
    return this.db
      .select()
      .from(apiKeyAudit)
      .where(
        and(
          eq(apiKeyAudit.organisationId, user.organisationId),
          options.apiKeyId ? eq(apiKeyAudit.apiKeyId, options.apiKeyId) : undefined,
          options.before ? lt(apiKeyAudit.at, options.before) : undefined,
        ),
      )
      .orderBy(desc(apiKeyAudit.at), desc(apiKeyAudit.id))
      .limit(first);
  }

  /** Writes when each key was last used; called by the usage flusher, at most once a minute per key. */
  async touch(used: Map<string, Date>): Promise<void> {
    for (const [id, at] of used)
      await this.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
  }

  private async row(db: Db | Tx, organisationId: string, id: string, forUpdate = false): Promise<ApiKeyRow> {
    const query = db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.organisationId, organisationId), eq(apiKeys.id, id)));
    const [row] = forUpdate ? await query.for("update") : await query;
    if (!row) throw notFound("API key");
    return row;
  }

  private async checkEvents(organisationId: string, eventIds: readonly string[]) {
    if (eventIds.length === 0) return;
    const found = await this.db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.organisationId, organisationId), inArray(events.id, [...eventIds])));
    const known = new Set(found.map((row) => row.id));
    const errors = new FieldErrors();
    eventIds.forEach((id, index) => {
      if (!known.has(id)) errors.add(`eventIds.${index}`, "is not an event of this organisation");
    });
    errors.throwIfAny();
  }

  private async audit(
    tx: Tx,
    row: ApiKeyRow,
    action: AuditEntry["action"],
    userId: string,
    changes: Record<string, { from: unknown; to: unknown }>,
  ) {
    await tx
      .insert(apiKeyAudit)
      .values({ id: newId(), organisationId: row.organisationId, apiKeyId: row.id, action, userId, changes });
  }
}
