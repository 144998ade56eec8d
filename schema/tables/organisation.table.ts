import { pgTable, text } from "drizzle-orm/pg-core";
import { timestamps } from "./columns.js";

export const organisations = pgTable("organisations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  ...timestamps,
});

export type OrganisationRow = typeof organisations.$inferSelect;
