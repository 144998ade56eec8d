/** The project's GraphQL documents the bench loads (and compares with the peer's). */
const CONTACT =
  "firstName lastName email company jobTitle phone reference address { street street2 postalCode city region country }";
const VISITOR = `id eventId registrationState registrationTypeId reference revision deleted createdAt updatedAt
  contact { ${CONTACT} } answers { questionId answerIds text }`;

export const PROJECT_QUERIES = {
  visitor: `query Visitor($eventId: ID!, $id: ID!) { visitor(eventId: $eventId, id: $id) { ${VISITOR} } }`,
  visitors: `query Visitors($eventId: ID!, $fromRevision: Revision) {
  visitors(eventId: $eventId, first: 100, filter: { fromRevision: $fromRevision }) {
    edges { cursor node { ${VISITOR} registrationType { id name kind reference } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  statistics: `query Statistics($from: DateTimeISO!, $until: DateTimeISO!, $resolution: StatisticsResolution!) {
  apiStatistics(from: $from, until: $until, resolution: $resolution) { start type apiKeyId userId calls errors }
}`,
  createVisitor: `mutation CreateVisitor($eventId: ID!, $input: CreateVisitorInput!) {
  createVisitor(eventId: $eventId, input: $input) { id revision }
}`,
  createVisitors: `mutation CreateVisitors($eventId: ID!, $inputs: [CreateVisitorInput!]!) {
  createVisitors(eventId: $eventId, inputs: $inputs) { id revision }
}`,
} as const;
