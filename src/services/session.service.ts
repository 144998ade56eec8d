import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { sessions, users } from "@/schema/tables/index.js";
import { type Actor, type Role, requireUser } from "@/src/auth/actor.js";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "@/src/auth/password.js";
import { newSessionToken, sha256 } from "@/src/auth/token.js";
import type { Queryable } from "@/src/db/database.js";
import { unauthenticated } from "@/src/errors/app-error.js";
import type { User, UserService } from "./user.service.js";

export type Session = { token: string; expiresAt: Date; user: User };

export class SessionService {
  constructor(
    private readonly db: Queryable,
    private readonly users: UserService,
    private readonly ttlMs: number,
  ) {}

  async login(email: string, password: string): Promise<Session> {
    const [row] = await this.db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
    // Verify against a dummy hash for unknown emails: equal timing, no account enumeration.
    const valid = await verifyPassword(password, row?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!row || !valid) throw unauthenticated("INVALID_CREDENTIALS", "Wrong email or password");
    // Told only after the right password: it reveals nothing to someone guessing.
    if (row.deactivatedAt) throw unauthenticated("USER_DEACTIVATED", "This user is deactivated");
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + this.ttlMs);
    await this.db
      .insert(sessions)
      .values({ tokenHash: sha256(token), userId: row.id, organisationId: row.organisationId, expiresAt });
    // Expired sessions are pruned on log-in, which keeps the table small without a job.
    await this.db
      .delete(sessions)
      .where(and(eq(sessions.userId, row.id), lt(sessions.expiresAt, new Date())));
    const user = await this.users.byId(row.organisationId, row.id);
    // Deleted between the password check and here: the log-in did not happen.
    if (!user) throw unauthenticated("INVALID_CREDENTIALS", "Wrong email or password");
    return { token, expiresAt, user };
  }

  async logout(actor: Actor): Promise<boolean> {
    const user = requireUser(actor);
    const deleted = await this.db
      .delete(sessions)
      .where(eq(sessions.tokenHash, user.sessionHash))
      .returning();
    return deleted.length > 0;
  }

  /** The actor behind a session token, or undefined when the token is not a live session. */
  async authenticate(token: string): Promise<Actor | undefined> {
    const sessionHash = sha256(token);
    const [row] = await this.db
      .select({ userId: users.id, organisationId: users.organisationId, roles: users.roles })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.tokenHash, sessionHash),
          gt(sessions.expiresAt, new Date()),
          isNull(users.deactivatedAt),
        ),
      );
    if (!row) return undefined;
    return {
      kind: "user",
      userId: row.userId,
      organisationId: row.organisationId,
      roles: row.roles as Role[],
      sessionHash,
    };
  }
}
