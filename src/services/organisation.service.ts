import { randomBytes } from "node:crypto";
import { count, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { z } from "zod";
import { organisations } from "@/schema/tables/index.js";
import type { Actor } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import { AppError, forbidden } from "@/src/errors/app-error.js";
import { newId } from "./ids.js";
import { emailSchema, passwordSchema, type User, type UserService } from "./user.service.js";
import { parseInput, text } from "./validation.js";

const BOOTSTRAP_LOCK = 7_253_911_005;

export type Organisation = { id: string; name: string; createdAt: Date };
export type CreatedOrganisation = { organisation: Organisation; admin: User };

const createOrganisationSchema = z.object({
  name: text.name,
  adminEmail: emailSchema,
  adminPassword: passwordSchema,
});

export type CreateOrganisationInput = z.input<typeof createOrganisationSchema>;

export class OrganisationService {
  constructor(
    private readonly db: Db,
    private readonly users: UserService,
  ) {}

  /** The operator's call (SPEC section 1); also used for the first-start admin. */
  async create(actor: Actor, input: CreateOrganisationInput): Promise<CreatedOrganisation> {
    if (actor.kind === "anonymous") {
      throw new AppError("UNAUTHENTICATED", "Authentication required", { reason: "MISSING_CREDENTIALS" });
    }
    if (actor.kind !== "operator")
      throw forbidden("OPERATOR_ONLY", "Only the operator creates organisations");
    return this.insert(input);
  }

  private insert(input: CreateOrganisationInput): Promise<CreatedOrganisation>;
  private insert(input: CreateOrganisationInput, onlyIfFirst: true): Promise<CreatedOrganisation | undefined>;
  private async insert(
    input: CreateOrganisationInput,
    onlyIfFirst = false,
  ): Promise<CreatedOrganisation | undefined> {
    const value = parseInput(createOrganisationSchema, input);
    return this.db.transaction(async (tx) => {
      if (onlyIfFirst) {
        // Replicas starting together on an empty database: one creates the first organisation.
        await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
        const [row] = await tx.select({ total: count() }).from(organisations);
        if ((row?.total ?? 0) > 0) return undefined;
      }
      const [organisation] = await tx
        .insert(organisations)
        .values({ id: newId(), name: value.name })
        .returning();
      const admin = await this.users.insert(tx, organisation.id, {
        email: value.adminEmail,
        name: "Administrator",
        password: value.adminPassword,
        roles: ["ADMIN"],
      });
      return { organisation, admin };
    });
  }

  /**
   * First start on an empty database (SPEC section 3): creates `ORG_NAME` with its admin. Without a
   * configured password a random one is generated and logged once.
   */
  async bootstrap(options: { orgName: string; adminEmail?: string; adminPassword?: string }, logger: Logger) {
    const [row] = await this.db.select({ total: count() }).from(organisations);
    if ((row?.total ?? 0) > 0) return;
    const adminEmail = options.adminEmail ?? "admin@example.com";
    const adminPassword = options.adminPassword ?? randomBytes(18).toString("base64url");
    const created = await this.insert({ name: options.orgName, adminEmail, adminPassword }, true);
    if (!created) return;
    if (options.adminPassword) {
      logger.info(
        { organisation: options.orgName, adminEmail },
        "created the first organisation and its admin",
      );
    } else {
      logger.warn(
        { organisation: options.orgName, adminEmail, adminPassword },
        "created the first organisation with a generated admin password: it is shown only this once",
      );
    }
  }
}
