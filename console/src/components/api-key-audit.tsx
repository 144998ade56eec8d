import { request } from "../api/client";
import { ApiKeyAuditLog, Users } from "../api/operations";
import type { ApiKey, AuditEntry } from "../api/types";
import { formatDateTime } from "../lib/format";
import { useQuery } from "../lib/use-query";
import { AuditChanges } from "./audit-changes";
import { DataTable } from "./data-table";
import { Dialog } from "./dialog";
import { Empty, ErrorBanner, Loading } from "./status";

/** Who created, changed, disabled or deleted the key, newest first. */
export function ApiKeyAudit({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  const log = useQuery(async () => {
    const [entries, users] = await Promise.all([
      request(ApiKeyAuditLog, { apiKeyId: apiKey.id, first: 200 }),
      request(Users).catch(() => ({ users: [] })),
    ]);
    const emails = new Map(users.users.map((user) => [user.id, user.email]));
    return { entries: entries.apiKeyAuditLog, emails };
  }, [apiKey.id]);

  return (
    <Dialog title={`Audit log of key ${apiKey.prefix}…`} onClose={onClose} wide>
      {log.error ? (
        <ErrorBanner error={log.error} onRetry={log.reload} />
      ) : !log.data ? (
        <Loading what="the audit log" />
      ) : log.data.entries.length === 0 ? (
        <Empty>No changes recorded.</Empty>
      ) : (
        <DataTable<AuditEntry>
          caption="Audit log"
          testId="audit-log"
          rows={log.data.entries}
          rowKey={(entry) => entry.id}
          columns={[
            { header: "When", cell: (entry) => formatDateTime(entry.at) },
            { header: "Action", cell: (entry) => entry.action },
            {
              header: "By",
              cell: (entry) => (entry.userId ? (log.data?.emails.get(entry.userId) ?? entry.userId) : "—"),
            },
            { header: "Changes", cell: (entry) => <AuditChanges changes={entry.changes} /> },
          ]}
        />
      )}
    </Dialog>
  );
}
