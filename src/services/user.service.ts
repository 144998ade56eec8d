import { and, asc, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { sessions, users } from "@/schema/tables/index.js";
import { type Actor, ROLES, type Role, requireAccountManagement, requireUser } from "@/src/auth/actor.js";
import { hashPassword } from "@/src/auth/password.js";
import type { Queryable } from "@/src/db/database.js";
import { SQL_STATE, sqlState } from "@/src/db/sql-state.js";
import { conflict, forbidden, notFound } from "@/src/errors/app-error.js";
import { newId } from "./ids.js";
import { parseInput, text } from "./validation.js";

export type User = {
  id: string;
  organisationId: string;
  email: string;
  name: string;
  roles: Role[];
  active: boolean;
  createdAt: Date;
};

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email("must be a valid email address"));
export const passwordSchema = z.string().min(8, "must be at least 8 characters").max(1_000);
const rolesSchema = z.array(z.enum(ROLES)).min(1, "must name at least one role");

const createUserSchema = z.object({
  email: emailSchema,
  name: text.name,
  password: passwordSchema,
  roles: rolesSchema,
});
const updateUserSchema = z.object({
  name: text.name.optional(),
  password: passwordSchema.optional(),
  roles: rolesSchema.optional(),
  active: z.boolean().optional(),
});

export type CreateUserInput = z.input<typeof createUserSchema>;
export type UpdateUserInput = z.input<typeof updateUserSchema>;

/**
 * Only an ADMIN may hand out ADMIN, or change or remove an ADMIN: otherwise an account manager
 * could make themselves (or an accomplice) an administrator.
 */
function requireAdminToGrant(
  manager: Extract<Actor, { kind: "user" }>,
  roles: readonly string[] | undefined,
) {
  if (roles?.includes("ADMIN") && !manager.roles.includes("ADMIN")) {
    throw forbidden("MISSING_ROLE", "Only an ADMIN may grant the ADMIN role or change an ADMIN");
  }
}

const toUser = (row: typeof users.$inferSelect): User => ({
  id: row.id,
  organisationId: row.organisationId,
  email: row.email,
  name: row.name,
  roles: row.roles as Role[],
  active: row.deactivatedAt === null,
  createdAt: row.createdAt,
});

export class UserService {
  constructor(private readonly db: Queryable) {}

  /** Creates a user in an organisation; used by account managers and by organisation set-up. */
  async insert(db: Queryable, organisationId: string, input: CreateUserInput): Promise<User> {
    const value = parseInput(createUserSchema, input);
    const existing = await db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, value.email))
      .limit(1);
    const taken = () => conflict(`A user with email ${value.email} already exists`);
    if (existing.length > 0) throw taken();
    const passwordHash = await hashPassword(value.password);
    // A concurrent insert of the same email can pass the check above; the unique index decides.
    const [row] = await db
      .insert(users)
      .values({
        id: newId(),
        organisationId,
        email: value.email,
        name: value.name,
        roles: [...new Set(value.roles)],
        passwordHash,
      })
      .returning()
      .catch((error: unknown) => {
        throw sqlState(error) === SQL_STATE.UNIQUE_VIOLATION ? taken() : error;
      });
    return toUser(row);
  }

  async byId(organisationId: string, id: string): Promise<User | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(and(eq(users.organisationId, organisationId), eq(users.id, id)));
    return row && toUser(row);
  }

  async me(actor: Actor): Promise<User> {
    const user = requireUser(actor);
    const found = await this.byId(user.organisationId, user.userId);
    if (!found) throw notFound("User");
    return found;
  }

  async list(actor: Actor): Promise<User[]> {
    const user = requireAccountManagement(actor);
    const rows = await this.db
      .select()
      .from(users)
      .where(eq(users.organisationId, user.organisationId))
      .orderBy(asc(users.email));
    return rows.map(toUser);
  }

  async create(actor: Actor, input: CreateUserInput): Promise<User> {
    const user = requireAccountManagement(actor);
    requireAdminToGrant(user, input.roles);
    return this.insert(this.db, user.organisationId, input);
  }

  async update(actor: Actor, id: string, input: UpdateUserInput): Promise<User> {
    const manager = requireAccountManagement(actor);
    const value = parseInput(updateUserSchema, input);
    const target = await this.byId(manager.organisationId, id);
    if (!target) throw notFound("User");
    if (value.active === false && manager.userId === id) throw conflict("Users cannot deactivate themselves");
    if (value.roles !== undefined || value.password !== undefined || value.active !== undefined) {
      requireAdminToGrant(manager, target.roles);
    }
    if (value.roles !== undefined) requireAdminToGrant(manager, value.roles);
    const [row] = await this.db
      .update(users)
      .set({
        ...(value.name !== undefined && { name: value.name }),
        ...(value.roles !== undefined && { roles: [...new Set(value.roles)] }),
        ...(value.password !== undefined && { passwordHash: await hashPassword(value.password) }),
        ...(value.active !== undefined &&
          value.active !== target.active && { deactivatedAt: value.active ? null : new Date() }),
        updatedAt: new Date(),
      })
      .where(and(eq(users.organisationId, manager.organisationId), eq(users.id, id)))
      .returning();
    if (!row) throw notFound("User");
    // Deactivation ends every session of the user at once.
    if (value.active === false) await this.db.delete(sessions).where(eq(sessions.userId, id));
    // A new password ends every other session of that user (a stolen session must not survive it).
    else if (value.password !== undefined) {
      await this.db
        .delete(sessions)
        .where(
          and(
            eq(sessions.userId, id),
            manager.userId === id ? ne(sessions.tokenHash, manager.sessionHash) : undefined,
          ),
        );
    }
    return toUser(row);
  }

  async delete(actor: Actor, id: string): Promise<User> {
    const manager = requireAccountManagement(actor);
    if (manager.userId === id) throw conflict("Users cannot delete themselves");
    const target = await this.byId(manager.organisationId, id);
    if (!target) throw notFound("User");
    requireAdminToGrant(manager, target.roles);
    const [row] = await this.db
      .delete(users)
      .where(and(eq(users.organisationId, manager.organisationId), eq(users.id, id)))
      .returning();
    if (!row) throw notFound("User");
    return toUser(row);
  }
}
