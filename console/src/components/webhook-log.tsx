import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../api/client";
import type { WebhookAuditEntry, WebhookDelivery } from "../api/types";
import { formatDateTimeSeconds } from "../lib/format";
import { useQuery } from "../lib/use-query";
import { AuditLogDialog } from "./audit-log";
import { DataTable } from "./data-table";
import { Dialog } from "./dialog";
import { Badge, Empty, ErrorBanner, Loading } from "./status";

const PAGE_SIZE = 20;

/** An attempt's outcome: its HTTP status, or why it got none. */
export function DeliveryOutcome({ status, error }: { status: number | null; error: string | null }) {
  if (status !== null) {
    return <Badge tone={status >= 200 && status < 300 ? "good" : "bad"}>{status}</Badge>;
  }
  return error ? <span class="error-text-inline">{error}</span> : <span class="muted">—</span>;
}

/**
 * A webhook's (or the notification URL's) attempts, newest first; older pages by the time of the
 * oldest one shown (`before`).
 */
export function DeliveryLog(props: {
  title: string;
  load: (options: { first: number; before?: string }) => Promise<WebhookDelivery[]>;
  onClose: () => void;
}) {
  const first = useQuery(() => props.load({ first: PAGE_SIZE }), []);
  const [older, setOlder] = useState<WebhookDelivery[]>([]);
  const [more, setMore] = useState(false);
  const [busy, setBusy] = useState(false);
  const [moreError, setMoreError] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!first.data) return;
    setOlder([]);
    setMore(first.data.length === PAGE_SIZE);
  }, [first.data]);
  const rows = first.data ? [...first.data, ...older] : undefined;

  const loadOlder = async () => {
    const last = rows?.at(-1);
    if (!last) return;
    setBusy(true);
    setMoreError(undefined);
    try {
      const page = await props.load({ first: PAGE_SIZE, before: last.at });
      setOlder((current) => [...current, ...page]);
      setMore(page.length === PAGE_SIZE);
    } catch (error) {
      setMoreError(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={props.title} onClose={props.onClose} wide>
      <div class="actions start">
        <button type="button" disabled={first.loading} onClick={() => void first.reload()}>
          Refresh
        </button>
      </div>
      {first.error ? (
        <ErrorBanner error={first.error} onRetry={first.reload} />
      ) : !rows ? (
        <Loading what="deliveries" />
      ) : rows.length === 0 ? (
        <Empty>No deliveries yet: the first ping goes out when a record of its type changes.</Empty>
      ) : (
        <>
          <DataTable<WebhookDelivery>
            caption="Deliveries"
            testId="webhook-deliveries"
            rows={rows}
            rowKey={(delivery) => delivery.id}
            columns={[
              { header: "When", cell: (delivery) => formatDateTimeSeconds(delivery.at) },
              { header: "Attempt", numeric: true, cell: (delivery) => delivery.attempt },
              { header: "Covers revision", numeric: true, cell: (delivery) => delivery.coveredRevision },
              {
                header: "Status or error",
                cell: (delivery) => <DeliveryOutcome status={delivery.status} error={delivery.error} />,
              },
              { header: "Duration", numeric: true, cell: (delivery) => `${delivery.durationMs} ms` },
            ]}
          />
          {moreError && (
            <p class="banner banner-error" role="alert">
              {moreError}
            </p>
          )}
          {more && (
            <div class="actions start">
              <button type="button" disabled={busy} onClick={() => void loadOlder()}>
                {busy ? "Loading…" : "Older deliveries"}
              </button>
            </div>
          )}
        </>
      )}
    </Dialog>
  );
}

/** Who created, changed, reset or deleted a webhook (or the notification URL), newest first. */
export function WebhookAudit(props: {
  title: string;
  load: () => Promise<WebhookAuditEntry[]>;
  onClose: () => void;
}) {
  return (
    <AuditLogDialog
      title={props.title}
      testId="webhook-audit"
      load={props.load}
      otherActor={(entry) => (entry.apiKeyId ? `API key ${entry.apiKeyId}` : null)}
      onClose={props.onClose}
    />
  );
}

/** WAIT is healthy (delivering, or nothing to deliver); ERROR waits for a reset. */
export function StateBadge({ target }: { target: { state: string; coveredRevision: number | null } }) {
  if (target.state === "ERROR") return <Badge tone="bad">ERROR</Badge>;
  return (
    <Badge tone={target.coveredRevision !== null ? "warn" : "good"}>
      WAIT{target.coveredRevision !== null ? " (ping in flight)" : ""}
    </Badge>
  );
}
