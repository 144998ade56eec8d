import { type RestDialect, type RestFormat, V1_JSON, V1_XML, V2 } from "./dialect.js";
import type { OperationName } from "./operations.js";

/** The media types a request body of each format may declare. */
export const BODY_TYPES: Record<RestFormat, string[]> = {
  json: ["application/json", "application/*+json"],
  xml: ["application/xml", "text/xml", "application/*+xml"],
};

/**
 * The query parameters of list routes, as clients spell them (SPEC sections 5 and 9). Each fills
 * the operation's `first` or a field of its `filter` (see request-input.ts).
 */
export const QUERY_PARAMS = [
  "fromRevision",
  "limit",
  "registrationStates",
  "registrationTypes",
  /** Visit v2's singular spelling on partner lists; the same as registrationTypes. */
  "registrationType",
  "contactReference",
  "showDeleted",
  "reference",
  /** Only what the webhook's ping covers (SPEC section 10). */
  "webhookId",
] as const;
export type QueryParam = (typeof QUERY_PARAMS)[number];

export type CompatRoute = {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Under `/{format}`; each `:param` fills the operation's variable of that name. */
  path: string;
  summary: string;
  operation: OperationName;
  /** The root field of the result; a connection's nodes are the records. */
  result: string;
  connection?: true;
  /** The query parameters it reads; a route without any takes none. */
  params?: readonly QueryParam[];
  /** Visit parameters this server does not support: refused by name where unknown ones are (v2). */
  unsupportedParams?: readonly string[];
  /**
   * An object field of the result answered in its place, its siblings after its own fields:
   * `createWebhook { webhook {...} secret }` answers one webhook with its secret.
   */
  spread?: string;
  /** The body is the operation's `$input`. */
  body?: true;
  status: 200 | 201 | 204;
};

const VISITOR_LIST_PARAMS = [
  "fromRevision",
  "limit",
  "registrationStates",
  "registrationTypes",
  "showDeleted",
  "webhookId",
] as const satisfies readonly QueryParam[];
// Partners have no registration state.
const PARTNER_LIST_PARAMS = VISITOR_LIST_PARAMS.filter((param) => param !== "registrationStates");

/** SPEC section 5, route by route, under `/json` and `/xml`. Everything else (OpenAPI, validation, rendering) derives from this. */
export const ROUTES: readonly CompatRoute[] = [
  {
    method: "GET",
    path: "/events",
    summary: "The events the caller may see",
    operation: "CompatEvents",
    result: "events",
    status: 200,
  },
  {
    method: "GET",
    path: "/events/:eventId",
    summary: "One event with its questions",
    operation: "CompatEvent",
    result: "event",
    status: 200,
  },
  {
    method: "GET",
    path: "/registration-types/:eventId",
    summary: "The event's registration types and the organisation-wide ones",
    operation: "CompatRegistrationTypes",
    result: "registrationTypes",
    status: 200,
  },
  {
    method: "GET",
    path: "/visitors/:eventId",
    summary: "The event's visitors in revision order (change feed, tombstones included by default)",
    operation: "CompatVisitors",
    result: "visitors",
    connection: true,
    params: VISITOR_LIST_PARAMS,
    status: 200,
  },
  {
    method: "POST",
    path: "/visitors/:eventId",
    summary: "Create a visitor",
    operation: "CompatCreateVisitor",
    result: "createVisitor",
    body: true,
    status: 201,
  },
  {
    method: "GET",
    path: "/visitors/:eventId/:visitorId",
    summary: "A visitor, also when deleted",
    operation: "CompatVisitor",
    result: "visitor",
    status: 200,
  },
  {
    method: "PUT",
    path: "/visitors/:eventId/:visitorId",
    summary: "Update a visitor: fields left out keep their value",
    operation: "CompatUpdateVisitor",
    result: "updateVisitor",
    body: true,
    status: 200,
  },
  {
    method: "DELETE",
    path: "/visitors/:eventId/:visitorId",
    summary: "Delete a visitor (it stays as a tombstone)",
    operation: "CompatDeleteVisitor",
    result: "deleteVisitor",
    status: 204,
  },
  {
    method: "GET",
    path: "/partners/:eventId",
    summary: "The event's partners in revision order (change feed, tombstones included by default)",
    operation: "CompatPartners",
    result: "partners",
    connection: true,
    params: PARTNER_LIST_PARAMS,
    status: 200,
  },
  {
    method: "POST",
    path: "/partners/:eventId",
    summary: "Create a partner",
    operation: "CompatCreatePartner",
    result: "createPartner",
    body: true,
    status: 201,
  },
  {
    method: "GET",
    path: "/partners/:eventId/:partnerId",
    summary: "A partner, also when deleted",
    operation: "CompatPartner",
    result: "partner",
    status: 200,
  },
  {
    method: "PUT",
    path: "/partners/:eventId/:partnerId",
    summary: "Update a partner: fields left out keep their value",
    operation: "CompatUpdatePartner",
    result: "updatePartner",
    body: true,
    status: 200,
  },
  {
    method: "DELETE",
    path: "/partners/:eventId/:partnerId",
    summary: "Delete a partner (it stays as a tombstone)",
    operation: "CompatDeletePartner",
    result: "deletePartner",
    status: 204,
  },
];

const V2_VISITOR_PARAMS = [
  "fromRevision",
  "limit",
  "registrationStates",
  "registrationTypes",
  "contactReference",
  "showDeleted",
  "webhookId",
] as const satisfies readonly QueryParam[];
const V2_PARTNER_PARAMS = [
  "fromRevision",
  "limit",
  "registrationType",
  "registrationTypes",
  "contactReference",
  "showDeleted",
  "webhookId",
] as const satisfies readonly QueryParam[];
// Visit filters by its own contact ids, which this server does not have.
const V2_UNSUPPORTED = ["contactId"];

/** SPEC section 9, route by route, under `/create/v2`. */
export const V2_ROUTES: readonly CompatRoute[] = [
  {
    method: "GET",
    path: "/expos",
    summary: "The expos (events) the caller may see, in revision order",
    operation: "V2Expos",
    result: "events",
    params: ["fromRevision", "limit", "reference"],
    status: 200,
  },
  {
    method: "GET",
    path: "/expos/:expoId",
    summary: "One expo with its questions",
    operation: "V2Expo",
    result: "event",
    status: 200,
  },
  {
    method: "GET",
    path: "/registrationTypes/:expoId",
    summary: "The expo's registration types and the organisation-wide ones",
    operation: "V2RegistrationTypes",
    result: "registrationTypes",
    status: 200,
  },
  {
    method: "GET",
    path: "/visitors/:expoId",
    summary: "The expo's visitors in revision order (change feed, tombstones included by default)",
    operation: "V2Visitors",
    result: "visitors",
    connection: true,
    params: V2_VISITOR_PARAMS,
    unsupportedParams: V2_UNSUPPORTED,
    status: 200,
  },
  {
    method: "POST",
    path: "/visitors/:expoId",
    summary: "Create a visitor",
    operation: "V2CreateVisitor",
    result: "createVisitor",
    body: true,
    status: 201,
  },
  {
    method: "GET",
    path: "/visitors/:expoId/:visitorId",
    summary: "A visitor, also when deleted",
    operation: "V2Visitor",
    result: "visitor",
    status: 200,
  },
  {
    method: "PUT",
    path: "/visitors/:expoId/:visitorId",
    summary: "Update a visitor: fields left out keep their value, a nested contact merges",
    operation: "V2UpdateVisitor",
    result: "updateVisitor",
    body: true,
    status: 200,
  },
  {
    method: "DELETE",
    path: "/visitors/:expoId/:visitorId",
    summary: "Delete a visitor (it stays as a tombstone)",
    operation: "V2DeleteVisitor",
    result: "deleteVisitor",
    status: 204,
  },
  {
    method: "GET",
    path: "/partners/:expoId",
    summary: "The expo's partners in revision order (change feed, tombstones included by default)",
    operation: "V2Partners",
    result: "partners",
    connection: true,
    params: V2_PARTNER_PARAMS,
    unsupportedParams: V2_UNSUPPORTED,
    status: 200,
  },
  {
    method: "POST",
    path: "/partners/:expoId",
    summary: "Create a partner",
    operation: "V2CreatePartner",
    result: "createPartner",
    body: true,
    status: 201,
  },
  {
    method: "GET",
    path: "/partners/:expoId/:partnerId",
    summary: "A partner, also when deleted",
    operation: "V2Partner",
    result: "partner",
    status: 200,
  },
  {
    method: "PUT",
    path: "/partners/:expoId/:partnerId",
    summary: "Update a partner: fields left out keep their value, a nested contact merges",
    operation: "V2UpdatePartner",
    result: "updatePartner",
    body: true,
    status: 200,
  },
  {
    method: "DELETE",
    path: "/partners/:expoId/:partnerId",
    summary: "Delete a partner (it stays as a tombstone)",
    operation: "V2DeletePartner",
    result: "deletePartner",
    status: 204,
  },
  {
    method: "GET",
    path: "/webhooks/:expoId",
    summary: "The expo's webhooks (an API key in the expo's scope may manage them, a read-only one too)",
    operation: "V2Webhooks",
    result: "webhooks",
    status: 200,
  },
  {
    method: "POST",
    path: "/webhooks/:expoId",
    summary: "Create a webhook: it reports changes made after now; the signing secret is in this answer only",
    operation: "V2CreateWebhook",
    result: "createWebhook",
    spread: "webhook",
    body: true,
    status: 201,
  },
  {
    method: "GET",
    path: "/webhooks/:expoId/:webhookId",
    summary: "A webhook and where its delivery stands",
    operation: "V2Webhook",
    result: "webhook",
    status: 200,
  },
  {
    method: "PUT",
    path: "/webhooks/:expoId/:webhookId",
    summary: "Update a webhook: fields left out keep their value; `state: wait` resets it after an error",
    operation: "V2UpdateWebhook",
    result: "updateWebhook",
    body: true,
    status: 200,
  },
  {
    method: "DELETE",
    path: "/webhooks/:expoId/:webhookId",
    summary: "Delete a webhook",
    operation: "V2DeleteWebhook",
    result: "deleteWebhook",
    status: 204,
  },
];

/** A family of REST routes: a dialect and its route table. */
export type RestFamily = { dialect: RestDialect; routes: readonly CompatRoute[] };

/** Every family, in the order they are mounted: v1 JSON and XML share one table. */
export const FAMILIES: readonly RestFamily[] = [
  { dialect: V1_JSON, routes: ROUTES },
  { dialect: V1_XML, routes: ROUTES },
  { dialect: V2, routes: V2_ROUTES },
];
