import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { organisationId } from "./columns.js";
import { users } from "./user.table.js";

export const sessions = pgTable(
  "sessions",
  {
    // SHA-256 of the opaque token: a leaked table cannot be replayed.
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    organisationId: organisationId(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [index("sessions_user_idx").on(table.userId), index("sessions_expires_idx").on(table.expiresAt)],
);

export type SessionRow = typeof sessions.$inferSelect;
