import { and, eq } from "drizzle-orm";
import { type FunctionRow, functions } from "@/schema/tables/index.js";
import type { Queryable } from "@/src/db/database.js";
import { notFound } from "@/src/errors/app-error.js";

/** A function of the organisation, or NOT_FOUND (another organisation's id is not found either). */
export async function functionOf(db: Queryable, organisationId: string, id: string): Promise<FunctionRow> {
  const [row] = await db
    .select()
    .from(functions)
    .where(and(eq(functions.organisationId, organisationId), eq(functions.id, id)));
  if (!row) throw notFound("Function");
  return row;
}
