import { AppError, forbidden } from "@/src/errors/app-error.js";

export const ROLES = ["ADMIN", "USER_ACCOUNT_MANAGEMENT", "DATA_MANAGEMENT"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as established once per request by the auth layer. Services decide what it may do. */
export type Actor =
  | { kind: "user"; organisationId: string; userId: string; roles: Role[]; sessionHash: string }
  | {
      kind: "apiKey";
      organisationId: string;
      apiKeyId: string;
      /** Empty: every event of the organisation. */
      eventIds: string[];
      canWrite: boolean;
      limits: { perMinute: number; concurrency: number };
    }
  | { kind: "operator" }
  | { kind: "anonymous" };

export type OrganisationActor = Extract<Actor, { organisationId: string }>;

export function requireOrganisation(actor: Actor): OrganisationActor {
  if (actor.kind === "user" || actor.kind === "apiKey") return actor;
  if (actor.kind === "operator") {
    throw forbidden("MISSING_ROLE", "The operator token only creates organisations; log in as a user");
  }
  throw new AppError("UNAUTHENTICATED", "Authentication required", { reason: "MISSING_CREDENTIALS" });
}

function hasRole(actor: OrganisationActor, role: Role): boolean {
  return actor.kind === "user" && (actor.roles.includes("ADMIN") || actor.roles.includes(role));
}

/** Data (events, types, visitors, partners): DATA_MANAGEMENT users, and API keys within their scope. */
export function requireDataRead(actor: Actor): OrganisationActor {
  const org = requireOrganisation(actor);
  if (org.kind === "user" && !hasRole(org, "DATA_MANAGEMENT")) {
    throw forbidden("MISSING_ROLE", "This operation needs the DATA_MANAGEMENT role");
  }
  return org;
}

export function requireDataWrite(actor: Actor): OrganisationActor {
  const org = requireDataRead(actor);
  if (org.kind === "apiKey" && !org.canWrite) throw forbidden("READ_ONLY_KEY", "This API key is read-only");
  return org;
}

/** Users, API keys, functions and statistics: ADMIN or USER_ACCOUNT_MANAGEMENT users only. */
export function requireAccountManagement(actor: Actor): Extract<Actor, { kind: "user" }> {
  const org = requireOrganisation(actor);
  if (org.kind !== "user" || !hasRole(org, "USER_ACCOUNT_MANAGEMENT")) {
    throw forbidden("MISSING_ROLE", "This operation needs the USER_ACCOUNT_MANAGEMENT role");
  }
  return org;
}

export function requireUser(actor: Actor): Extract<Actor, { kind: "user" }> {
  const org = requireOrganisation(actor);
  if (org.kind !== "user")
    throw forbidden("MISSING_ROLE", "This operation is for logged-in users, not API keys");
  return org;
}

/** Whether an actor may see an event at all (API keys may be scoped to some events). */
export function canSeeEvent(actor: OrganisationActor, eventId: string): boolean {
  return actor.kind !== "apiKey" || actor.eventIds.length === 0 || actor.eventIds.includes(eventId);
}

/** Organisation-wide settings (the notification URL): ADMIN users only. */
export function requireAdmin(actor: Actor): Extract<Actor, { kind: "user" }> {
  const org = requireOrganisation(actor);
  if (org.kind !== "user" || !org.roles.includes("ADMIN")) {
    throw forbidden("MISSING_ROLE", "This operation needs the ADMIN role");
  }
  return org;
}
