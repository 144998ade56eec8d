import { must } from "../support/must.js";
/** What a visitor must look like after the run, from its acknowledged writes only. */
export type ExpectedVisitor = {
  id: string;
  eventId: string;
  registrationState: string;
  reference: string;
  lastName: string;
  deleted: boolean;
  /** The revision of the last acknowledged write; undefined after a REST delete (204, no body). */
  revision?: number;
};

export type VisitorFields = Pick<ExpectedVisitor, "registrationState" | "reference" | "lastName">;

/**
 * Every acknowledged write, by visitor. Each visitor is written only by the client that created
 * it, one request at a time, so its final state is the last acknowledged write.
 */
export class SoakLedger {
  readonly visitors = new Map<string, ExpectedVisitor>();
  acknowledgedWrites = 0;
  /** The highest revision any answer has shown, for list requests to start inside the feed. */
  highestRevision = 0;

  created(visitor: ExpectedVisitor): void {
    this.visitors.set(visitor.id, visitor);
    this.acknowledged(visitor.revision);
  }

  updated(id: string, fields: VisitorFields, revision: number | undefined): void {
    Object.assign(must(this.visitors.get(id), "this.visitors.get(id)"), fields, { revision });
    this.acknowledged(revision);
  }

  deleted(id: string, revision: number | undefined): void {
    Object.assign(must(this.visitors.get(id), "this.visitors.get(id)"), { deleted: true, revision });
    this.acknowledged(revision);
  }

  private acknowledged(revision: number | undefined) {
    this.acknowledgedWrites++;
    if (revision !== undefined) this.highestRevision = Math.max(this.highestRevision, revision);
  }
}

/** REST spells enum values in kebab-case: PENDING_CONFIRMATION is pending-confirmation. */
export const restState = (state: string) => state.toLowerCase().replace(/_/g, "-");

/** How a read differs from the expectation, or undefined when it matches. */
export function difference(
  expected: ExpectedVisitor,
  actual: VisitorFields & { deleted: boolean; revision: number },
): string | undefined {
  const wrong = (["registrationState", "reference", "lastName", "deleted", "revision"] as const).filter(
    (field) =>
      // A REST delete answers 204 without the tombstone's revision: any revision will do then.
      !(field === "revision" && expected.revision === undefined) && expected[field] !== actual[field],
  );
  if (wrong.length === 0) return undefined;
  return `${expected.id}: ${wrong.map((field) => `${field} ${String(actual[field])} != ${String(expected[field])}`).join(", ")}`;
}
