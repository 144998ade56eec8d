import { request } from "../api/client";
import { Users } from "../api/operations";
import { formatDateTime } from "../lib/format";
import { useQuery } from "../lib/use-query";
import { DataTable } from "./data-table";
import { Dialog } from "./dialog";
import { Empty, ErrorBanner, Loading } from "./status";

type Entry = {
  id: string;
  action: string;
  userId: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  at: string;
};

/**
 * An audit trail in a dialog, newest first: keys' and webhooks' logs alike. Users are named by their
 * email when the viewer may list users; `otherActor` names who acted when no user did.
 */
export function AuditLogDialog<T extends Entry>(props: {
  title: string;
  testId: string;
  load: () => Promise<T[]>;
  otherActor?: (entry: T) => string | null;
  onClose: () => void;
}) {
  const log = useQuery(async () => {
    const [entries, users] = await Promise.all([props.load(), request(Users).catch(() => ({ users: [] }))]);
    return { entries, emails: new Map(users.users.map((user) => [user.id, user.email])) };
  }, []);
  const by = (entry: T) =>
    entry.userId ? (log.data?.emails.get(entry.userId) ?? entry.userId) : (props.otherActor?.(entry) ?? "—");

  return (
    <Dialog title={props.title} onClose={props.onClose} wide>
      {log.error ? (
        <ErrorBanner error={log.error} onRetry={log.reload} />
      ) : !log.data ? (
        <Loading what="the audit log" />
      ) : log.data.entries.length === 0 ? (
        <Empty>No changes recorded.</Empty>
      ) : (
        <DataTable<T>
          caption="Audit log"
          testId={props.testId}
          rows={log.data.entries}
          rowKey={(entry) => entry.id}
          columns={[
            { header: "When", cell: (entry) => formatDateTime(entry.at) },
            { header: "Action", cell: (entry) => entry.action },
            { header: "By", cell: by },
            { header: "Changes", cell: (entry) => <AuditChanges changes={entry.changes} /> },
          ]}
        />
      )}
    </Dialog>
  );
}

/** What one audit entry changed, field by field ("—" when nothing did). */
function AuditChanges({ changes }: { changes: Entry["changes"] }) {
  const fields = Object.entries(changes);
  if (fields.length === 0) return <>—</>;
  return (
    <ul class="changes">
      {fields.map(([field, change]) => (
        <li key={field}>
          <strong>{field}</strong>: {show(change.from)} → {show(change.to)}
        </li>
      ))}
    </ul>
  );
}

const show = (value: unknown): string =>
  value === null || value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value);
