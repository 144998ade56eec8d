import { index, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { organisationId, timestamps } from "./columns.js";
import { organisations } from "./organisation.table.js";

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    organisationId: organisationId().references(() => organisations.id),
    // Stored lower-cased: log-in is by email alone, so it is unique across the deployment.
    email: text("email").notNull(),
    name: text("name").notNull(),
    roles: text("roles").array().notNull(),
    passwordHash: text("password_hash").notNull(),
    // Set: the user cannot log in (kept rather than deleted, so audit entries still name them).
    deactivatedAt: timestamp("deactivated_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (table) => [
    uniqueIndex("users_email_key").on(table.email),
    index("users_organisation_idx").on(table.organisationId),
  ],
);

export type UserRow = typeof users.$inferSelect;
