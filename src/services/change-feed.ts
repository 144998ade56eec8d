import { and, eq, gt, gte, inArray, lte, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { belowHorizon } from "@/src/db/revisions.js";
import { AppError } from "@/src/errors/app-error.js";
import { parseInput } from "./validation.js";

/** Largest page of a change feed (SPEC section 2). */
export const MAX_PAGE_SIZE = 100;

export type FeedFilter = {
  fromRevision?: number | null;
  registrationStates?: readonly string[] | null;
  registrationTypeIds?: readonly string[] | null;
  showDeleted?: boolean | null;
  contactReference?: string | null;
  contactEmail?: string | null;
  /** Only what this webhook's ping covers; resolved by the service into a window of revisions. */
  webhookId?: string | null;
};

/** Revisions in (after, upTo]: what one webhook ping covers. */
export type FeedWindow = { after: number; upTo: number };

export type FeedArgs = { first?: number | null; after?: string | null; filter?: FeedFilter | null };

export type FeedPage<T> = { nodes: T[]; hasNextPage: boolean };

/** `first` and `fromRevision` of any page in revision order. */
export const pagingSchema = z.object({
  first: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .nullish(),
  fromRevision: z.number().int().min(0, "must not be negative").max(Number.MAX_SAFE_INTEGER).nullish(),
});

/** Cursors are opaque to clients; inside they are the revision of the last record of a page. */
export const encodeCursor = (revision: number) => Buffer.from(`r:${revision}`).toString("base64url");

export function decodeCursor(cursor: string): number {
  const match = /^r:(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match)
    throw new AppError("BAD_USER_INPUT", "after: is not a cursor of this list", {
      errors: [{ field: "after", message: "is not a cursor of this list" }],
    });
  return Number(match[1]);
}

type FeedColumns = {
  organisationId: PgColumn;
  eventId: PgColumn;
  revision: PgColumn;
  deleted: PgColumn;
  registrationTypeId: PgColumn;
  contactReference: PgColumn;
  contactEmail: PgColumn;
  registrationState?: PgColumn;
};

/**
 * Validates paging and builds the WHERE of one page: revision order, filters, tenant and event,
 * the read rule that keeps a late commit from being skipped (`belowHorizon`), and the window of a
 * webhook pull (still a filter on the feed, paged as usual).
 */
export function feedQuery(
  columns: FeedColumns,
  organisationId: string,
  eventId: string,
  args: FeedArgs,
  window?: FeedWindow,
) {
  const filter = args.filter ?? {};
  const paging = parseInput(pagingSchema, { first: args.first, fromRevision: filter.fromRevision });
  const afterRevision = args.after ? decodeCursor(args.after) + 1 : 0;
  const fromRevision = Math.max(paging.fromRevision ?? 0, afterRevision);
  const conditions: (SQL | undefined)[] = [
    eq(columns.organisationId, organisationId),
    eq(columns.eventId, eventId),
    fromRevision > 0 ? gte(columns.revision, fromRevision) : undefined,
    belowHorizon(columns.revision),
    window ? gt(columns.revision, window.after) : undefined,
    window ? lte(columns.revision, window.upTo) : undefined,
    filter.showDeleted === false ? eq(columns.deleted, false) : undefined,
    filter.registrationTypeIds?.length
      ? inArray(columns.registrationTypeId, [...filter.registrationTypeIds])
      : undefined,
    filter.contactReference != null ? eq(columns.contactReference, filter.contactReference) : undefined,
    filter.contactEmail != null
      ? eq(columns.contactEmail, filter.contactEmail.trim().toLowerCase())
      : undefined,
    filter.registrationStates?.length && columns.registrationState
      ? inArray(columns.registrationState, [...filter.registrationStates])
      : undefined,
  ];
  return {
    where: and(...conditions),
    limit: (paging.first ?? MAX_PAGE_SIZE) + 1,
    pageSize: paging.first ?? MAX_PAGE_SIZE,
  };
}

/** Cuts the one-extra row that tells whether another page follows. */
export function toPage<T>(rows: T[], pageSize: number): FeedPage<T> {
  return { nodes: rows.slice(0, pageSize), hasNextPage: rows.length > pageSize };
}
