import { pgTable, text } from "drizzle-orm/pg-core";
import { timestamps } from "./columns.js";

/** Deployment-wide values the server generates once and keeps (e.g. the fallback webhook secret key). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  ...timestamps,
});
