import type { SeededEvent } from "../seed.js";
import { graphql } from "../support/graphql-client.js";
import { PROJECT_QUERIES } from "../support/project-queries.js";
import { PEER_QUERIES, peerVariables } from "./postgraphile-queries.js";

type ProjectVisitor = {
  id: string;
  revision: number;
  registrationTypeId: string | null;
  contact: { email: string | null } | null;
};
type PeerVisitor = {
  rowId: string;
  revision: string;
  registrationTypeId: string | null;
  contactEmail: string | null;
};
type ProjectPage = {
  visitors: {
    edges: { node: ProjectVisitor & { registrationType: { id: string } | null } }[];
    pageInfo: { hasNextPage: boolean };
  };
};
type PeerPage = {
  allVisitors: {
    edges: { node: PeerVisitor & { registrationTypeByRegistrationTypeId: { rowId: string } | null } }[];
    pageInfo: { hasNextPage: boolean };
  };
};

/** What must agree, as one comparable line per record: id, revision, registration type and email. */
const projectKey = (visitor: ProjectVisitor) =>
  [visitor.id, visitor.revision, visitor.registrationTypeId, visitor.contact?.email].join(" ");
const peerKey = (visitor: PeerVisitor) =>
  [visitor.rowId, visitor.revision, visitor.registrationTypeId, visitor.contactEmail].join(" ");

/**
 * Sends the same inputs to the project and to PostGraphile and throws, naming the first difference,
 * unless both return the same records: for visitors by id (the first, a middle and the last of every
 * event) and for pages (from the first revision, the middle, near the end and past the end of every
 * event) the same ids in the same order, the same revisions, registration types and emails, and the
 * same hasNextPage. Returns how many requests agreed.
 */
export async function checkPeerAgreement(options: {
  appUrl: string;
  peerUrl: string;
  token: string;
  events: readonly SeededEvent[];
}): Promise<number> {
  const { appUrl, peerUrl, token } = options;
  const events = options.events.filter((event) => event.visitorIds.length > 0);
  let checked = 0;
  const differ = (what: string, project: unknown, peer: unknown) => {
    throw new Error(
      `PostGraphile and the project disagree on ${what}:\n  project:     ${JSON.stringify(project)}\n` +
        `  PostGraphile: ${JSON.stringify(peer)}`,
    );
  };

  for (const event of events) {
    const last = event.visitorIds.length - 1;
    for (const index of new Set([0, Math.floor(last / 2), last])) {
      const id = event.visitorIds[index];
      const project = await graphql<{ visitor: ProjectVisitor | null }>(
        appUrl,
        token,
        PROJECT_QUERIES.visitor,
        {
          eventId: event.id,
          id,
        },
      );
      const peer = await graphql<{ visitorByRowId: PeerVisitor | null }>(
        peerUrl,
        undefined,
        PEER_QUERIES.visitor,
        peerVariables.visitor({ id }),
      );
      const projectLine = project.visitor && projectKey(project.visitor);
      const peerLine = peer.visitorByRowId && peerKey(peer.visitorByRowId);
      if (!projectLine || projectLine !== peerLine) differ(`visitor ${id}`, projectLine, peerLine);
      checked++;
    }

    const revisions = event.revisions;
    const starts = [
      revisions[0],
      revisions[Math.floor(revisions.length / 2)],
      revisions[Math.max(0, revisions.length - 50)],
      revisions[revisions.length - 1] + 1,
    ];
    for (const fromRevision of starts) {
      const input = { eventId: event.id, fromRevision };
      const project = await graphql<ProjectPage>(appUrl, token, PROJECT_QUERIES.visitors, input);
      const peer = await graphql<PeerPage>(
        peerUrl,
        undefined,
        PEER_QUERIES.visitors,
        peerVariables.visitors(input),
      );
      const projectLines = project.visitors.edges.map(
        ({ node }) => `${projectKey(node)} ${node.registrationType?.id}`,
      );
      const peerLines = peer.allVisitors.edges.map(
        ({ node }) => `${peerKey(node)} ${node.registrationTypeByRegistrationTypeId?.rowId}`,
      );
      const page = `the page of event ${event.id} from revision ${fromRevision}`;
      const firstDifference = projectLines.findIndex((line, index) => line !== peerLines[index]);
      if (projectLines.length !== peerLines.length || firstDifference >= 0) {
        const at = firstDifference >= 0 ? firstDifference : Math.min(projectLines.length, peerLines.length);
        differ(
          `${page} (${projectLines.length} vs ${peerLines.length} records, row ${at})`,
          projectLines[at],
          peerLines[at],
        );
      }
      if (project.visitors.pageInfo.hasNextPage !== peer.allVisitors.pageInfo.hasNextPage) {
        differ(`hasNextPage of ${page}`, project.visitors.pageInfo, peer.allVisitors.pageInfo);
      }
      checked++;
    }
  }
  return checked;
}
