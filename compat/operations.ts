/**
 * The named GraphQL documents behind the REST routes: one operation per route, run in-process
 * against the same schema. Their selections fix which fields REST shows and in which order.
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
} as const;

export type OperationName = keyof typeof OPERATIONS;
