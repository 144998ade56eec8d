import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { API_CALL_TYPES, apiUsageDays, apiUsageMinutes } from "@/schema/tables/index.js";
import { type Actor, requireAccountManagement } from "@/src/auth/actor.js";
import type { Db } from "@/src/db/database.js";
import { invalidInput } from "@/src/errors/app-error.js";
import type { CallType } from "./usage-recorder.js";
import { parseInput } from "./validation.js";

export const RESOLUTIONS = ["MINUTE", "HOUR", "DAY", "MONTH"] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export type StatisticsBucket = {
  start: Date;
  type: CallType;
  apiKeyId: string | null;
  userId: string | null;
  calls: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
};

const DAY = 86_400_000;
// The widest window per resolution: keeps an answer to at most ~100k buckets per principal/type.
const MAX_SPAN_DAYS: Record<Resolution, number> = { MINUTE: 31, HOUR: 400, DAY: 3_660, MONTH: 36_600 };

const querySchema = z.object({
  from: z.date(),
  until: z.date(),
  resolution: z.enum(RESOLUTIONS),
  types: z.array(z.enum(API_CALL_TYPES)).nullish(),
  apiKeyIds: z.array(z.string()).max(1_000).nullish(),
});

export type StatisticsQuery = z.input<typeof querySchema>;

export class StatisticsService {
  constructor(
    private readonly db: Db,
    private readonly minuteRetentionDays: number,
  ) {}

  /**
   * Call counts in buckets of `resolution`, [from, until), for every API key (or user) at once:
   * one SQL statement whatever the number of keys. MINUTE and HOUR come from the minute table
   * (kept STATS_MINUTE_RETENTION_DAYS), DAY and MONTH from the day table (kept >= 400 days).
   */
  async query(actor: Actor, input: StatisticsQuery): Promise<StatisticsBucket[]> {
    const user = requireAccountManagement(actor);
    const value = parseInput(querySchema, input);
    const fine = value.resolution === "MINUTE" || value.resolution === "HOUR";
    const errors = [];
    if (value.until <= value.from) errors.push({ field: "until", message: "must be after from" });
    if (value.until.getTime() - value.from.getTime() > MAX_SPAN_DAYS[value.resolution] * DAY) {
      errors.push({
        field: "until",
        message: `a ${value.resolution} query spans at most ${MAX_SPAN_DAYS[value.resolution]} days`,
      });
    }
    if (fine && value.from.getTime() < Date.now() - this.minuteRetentionDays * DAY) {
      errors.push({
        field: "from",
        message: `per-minute data is kept ${this.minuteRetentionDays} days; use DAY or MONTH for older periods`,
      });
    }
    if (errors.length > 0) throw invalidInput(errors);

    const table = fine ? apiUsageMinutes : apiUsageDays;
    // Inlined, not bound: GROUP BY must see the same expression as SELECT (the unit is from a closed enum).
    const start = sql<Date>`date_trunc(${sql.raw(`'${value.resolution.toLowerCase()}'`)}, ${table.start}, 'UTC')`;
    const rows = await this.db
      .select({
        start: start.mapWith((raw: string | Date) => new Date(raw)),
        type: table.type,
        principal: table.principal,
        calls: sql<number>`sum(${table.calls})`.mapWith(Number),
        clientErrors: sql<number>`sum(${table.clientErrors})`.mapWith(Number),
        serverErrors: sql<number>`sum(${table.serverErrors})`.mapWith(Number),
      })
      .from(table)
      .where(
        and(
          eq(table.organisationId, user.organisationId),
          gte(table.start, truncateToDay(value.from, fine)),
          lt(table.start, value.until),
          value.types?.length ? inArray(table.type, value.types) : undefined,
          value.apiKeyIds?.length
            ? inArray(
                table.principal,
                value.apiKeyIds.map((id) => `key:${id}`),
              )
            : undefined,
        ),
      )
      .groupBy(start, table.type, table.principal)
      .orderBy(start, table.type, table.principal);
    return rows.map((row) => ({
      start: row.start,
      type: row.type,
      apiKeyId: row.principal.startsWith("key:") ? row.principal.slice(4) : null,
      userId: row.principal.startsWith("user:") ? row.principal.slice(5) : null,
      calls: row.calls,
      errors: row.clientErrors + row.serverErrors,
      clientErrors: row.clientErrors,
      serverErrors: row.serverErrors,
    }));
  }
}

/** Day rows start at midnight: a DAY/MONTH query from mid-day still includes that day's row. */
function truncateToDay(from: Date, fine: boolean): Date {
  return fine ? from : new Date(from.getTime() - (from.getTime() % DAY));
}
