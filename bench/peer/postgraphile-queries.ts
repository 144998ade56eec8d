/**
 * The project's two read queries as PostGraphile serves them: the same columns (flat where the
 * project nests the contact, JSON where it types the address and answers), by primary key, and a
 * page of 100 of one event from a revision on, in revision order, with each visitor's registration type.
 */
const VISITOR = `rowId eventId registrationState registrationTypeId reference revision deleted createdAt updatedAt
  contactFirstName contactLastName contactEmail contactCompany contactJobTitle contactPhone contactReference
  contactAddress answers`;

export const PEER_QUERIES = {
  visitor: `query Visitor($id: String!) { visitorByRowId(rowId: $id) { ${VISITOR} } }`,
  visitors: `query Visitors($eventId: String!, $fromRevision: BigInt!) {
  allVisitors(first: 100, orderBy: REVISION_ASC, condition: { eventId: $eventId, fromRevision: $fromRevision }) {
    edges { cursor node { ${VISITOR} registrationTypeByRegistrationTypeId { rowId name kind reference } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
} as const;

/** Variables of the peer's queries for the project's inputs (PostGraphile reads a bigint as a string). */
export const peerVariables = {
  visitor: (input: { id: string }) => ({ id: input.id }),
  visitors: (input: { eventId: string; fromRevision: number }) => ({
    eventId: input.eventId,
    fromRevision: String(input.fromRevision),
  }),
};
