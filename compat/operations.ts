/**
 * The named GraphQL documents behind the REST routes: one operation per route, run in-process
 * against the same schema. Their selections fix which fields REST shows and in which order, and
 * an alias renames a field where a family's name differs from GraphQL's (v2's `type: kind`).
 * Path parameters fill the variables of their name (`/visitors/:expoId` -> `$expoId`).
 */

const CONTACT = `firstName lastName email company jobTitle phone reference
  address { street street2 postalCode city region country }`;

const VISITOR = `id eventId registrationState registrationTypeId reference
  contact { ${CONTACT} }
  answers { questionId answerIds text }
  createdAt updatedAt revision deleted`;

const PARTNER = `id eventId name registrationTypeId reference
  contact { ${CONTACT} }
  stand hall website description
  staff { ${CONTACT} }
  createdAt updatedAt revision deleted`;

const EVENT = `id name description reference start end timezone contactEmail
  questions { id kind text reference required answers { id text reference } }
  createdAt updatedAt`;

const REGISTRATION_TYPE = "id eventId name kind reference";

const EXPO = `${EVENT} revision`;

// SPEC section 10's webhook; the secret only in what creating one answers.
const WEBHOOK = `id eventId type url enabled state errorCount deliveredRevision coveredRevision
  nextAttemptAt lastSentAt lastStatus lastError createdAt updatedAt`;

// Visit v2's registration type: no event id, its level instead; `type` for the kind.
const V2_REGISTRATION_TYPE = "id name reference level type: kind";

export const OPERATIONS = {
  CompatEvents: `query CompatEvents { events { ${EVENT} } }`,
  CompatEvent: `query CompatEvent($eventId: ID!) { event(id: $eventId) { ${EVENT} } }`,
  CompatRegistrationTypes: `query CompatRegistrationTypes($eventId: ID!) {
    registrationTypes(eventId: $eventId) { ${REGISTRATION_TYPE} } }`,

  CompatVisitors: `query CompatVisitors($eventId: ID!, $first: Int, $filter: VisitorFilter) {
    visitors(eventId: $eventId, first: $first, filter: $filter) { edges { node { ${VISITOR} } } } }`,
  CompatVisitor: `query CompatVisitor($eventId: ID!, $visitorId: ID!) {
    visitor(eventId: $eventId, id: $visitorId) { ${VISITOR} } }`,
  CompatCreateVisitor: `mutation CompatCreateVisitor($eventId: ID!, $input: CreateVisitorInput!) {
    createVisitor(eventId: $eventId, input: $input) { ${VISITOR} } }`,
  CompatUpdateVisitor: `mutation CompatUpdateVisitor($eventId: ID!, $visitorId: ID!, $input: UpdateVisitorInput!) {
    updateVisitor(eventId: $eventId, id: $visitorId, input: $input) { ${VISITOR} } }`,
  CompatDeleteVisitor: `mutation CompatDeleteVisitor($eventId: ID!, $visitorId: ID!) {
    deleteVisitor(eventId: $eventId, id: $visitorId) { id } }`,

  CompatPartners: `query CompatPartners($eventId: ID!, $first: Int, $filter: PartnerFilter) {
    partners(eventId: $eventId, first: $first, filter: $filter) { edges { node { ${PARTNER} } } } }`,
  CompatPartner: `query CompatPartner($eventId: ID!, $partnerId: ID!) {
    partner(eventId: $eventId, id: $partnerId) { ${PARTNER} } }`,
  CompatCreatePartner: `mutation CompatCreatePartner($eventId: ID!, $input: CreatePartnerInput!) {
    createPartner(eventId: $eventId, input: $input) { ${PARTNER} } }`,
  CompatUpdatePartner: `mutation CompatUpdatePartner($eventId: ID!, $partnerId: ID!, $input: UpdatePartnerInput!) {
    updatePartner(eventId: $eventId, id: $partnerId, input: $input) { ${PARTNER} } }`,
  CompatDeletePartner: `mutation CompatDeletePartner($eventId: ID!, $partnerId: ID!) {
    deletePartner(eventId: $eventId, id: $partnerId) { id } }`,

  V2Expos: `query V2Expos($first: Int, $filter: EventFilter) {
    events(first: $first, filter: $filter) { ${EXPO} } }`,
  V2Expo: `query V2Expo($expoId: ID!) { event(id: $expoId) { ${EXPO} } }`,
  V2RegistrationTypes: `query V2RegistrationTypes($expoId: ID!) {
    registrationTypes(eventId: $expoId) { ${V2_REGISTRATION_TYPE} } }`,

  V2Visitors: `query V2Visitors($expoId: ID!, $first: Int, $filter: VisitorFilter) {
    visitors(eventId: $expoId, first: $first, filter: $filter) { edges { node { ${VISITOR} } } } }`,
  V2Visitor: `query V2Visitor($expoId: ID!, $visitorId: ID!) {
    visitor(eventId: $expoId, id: $visitorId) { ${VISITOR} } }`,
  V2CreateVisitor: `mutation V2CreateVisitor($expoId: ID!, $input: CreateVisitorInput!) {
    createVisitor(eventId: $expoId, input: $input) { ${VISITOR} } }`,
  V2UpdateVisitor: `mutation V2UpdateVisitor($expoId: ID!, $visitorId: ID!, $input: UpdateVisitorInput!) {
    updateVisitor(eventId: $expoId, id: $visitorId, input: $input) { ${VISITOR} } }`,
  V2DeleteVisitor: `mutation V2DeleteVisitor($expoId: ID!, $visitorId: ID!) {
    deleteVisitor(eventId: $expoId, id: $visitorId) { id } }`,

  V2Partners: `query V2Partners($expoId: ID!, $first: Int, $filter: PartnerFilter) {
    partners(eventId: $expoId, first: $first, filter: $filter) { edges { node { ${PARTNER} } } } }`,
  V2Partner: `query V2Partner($expoId: ID!, $partnerId: ID!) {
    partner(eventId: $expoId, id: $partnerId) { ${PARTNER} } }`,
  V2CreatePartner: `mutation V2CreatePartner($expoId: ID!, $input: CreatePartnerInput!) {
    createPartner(eventId: $expoId, input: $input) { ${PARTNER} } }`,
  V2UpdatePartner: `mutation V2UpdatePartner($expoId: ID!, $partnerId: ID!, $input: UpdatePartnerInput!) {
    updatePartner(eventId: $expoId, id: $partnerId, input: $input) { ${PARTNER} } }`,
  V2DeletePartner: `mutation V2DeletePartner($expoId: ID!, $partnerId: ID!) {
    deletePartner(eventId: $expoId, id: $partnerId) { id } }`,

  V2Webhooks: `query V2Webhooks($expoId: ID!) { webhooks(eventId: $expoId) { ${WEBHOOK} } }`,
  V2Webhook: `query V2Webhook($expoId: ID!, $webhookId: ID!) {
    webhook(eventId: $expoId, id: $webhookId) { ${WEBHOOK} } }`,
  V2CreateWebhook: `mutation V2CreateWebhook($expoId: ID!, $input: CreateWebhookInput!) {
    createWebhook(eventId: $expoId, input: $input) { webhook { ${WEBHOOK} } secret } }`,
  V2UpdateWebhook: `mutation V2UpdateWebhook($expoId: ID!, $webhookId: ID!, $input: UpdateWebhookInput!) {
    updateWebhook(eventId: $expoId, id: $webhookId, input: $input) { ${WEBHOOK} } }`,
  V2DeleteWebhook: `mutation V2DeleteWebhook($expoId: ID!, $webhookId: ID!) {
    deleteWebhook(eventId: $expoId, id: $webhookId) { id } }`,
} as const;

export type OperationName = keyof typeof OPERATIONS;
