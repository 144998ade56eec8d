import { getTableColumns, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Queryable } from "./database.js";

/**
 * Inserts rows in one statement that carries them as a single JSON parameter
 * (`jsonb_to_recordset`) instead of one parameter per value. Building a 1,000-row insert with
 * drizzle's query builder costs about 100 ms of the event loop (plus garbage collection), which
 * every other request of the process waits behind; this costs a JSON.stringify.
 * Every column must be set in every row: a missing key would be NULL, not the column default.
 */
export async function insertRows(db: Queryable, table: PgTable, rows: readonly Record<string, unknown>[]) {
  const columns = Object.entries(getTableColumns(table));
  // Rows of one bulk share their timestamps: each column maps a value once while it repeats.
  const plan = columns.map(([key, column]) => ({
    key,
    column,
    json: column.dataType === "json",
    last: undefined as unknown,
    mapped: undefined as unknown,
  }));
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (const entry of plan) {
      const value = row[entry.key];
      if (value === undefined) throw new Error(`insertRows: ${entry.column.name} is not set`);
      // JSON columns travel as JSON; everything else as drizzle would send it.
      if (value === null || entry.json) {
        record[entry.column.name] = value;
        continue;
      }
      if (entry.last !== value) {
        entry.last = value;
        entry.mapped = entry.column.mapToDriverValue(value);
      }
      record[entry.column.name] = entry.mapped;
    }
    return record;
  });
  const names = sql.join(
    columns.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const definitions = sql.join(
    columns.map(([, column]) => sql`${sql.identifier(column.name)} ${sql.raw(column.getSQLType())}`),
    sql`, `,
  );
  await db.execute(
    sql`insert into ${table} (${names})
      select ${names} from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(${definitions})`,
  );
}
