import { useState } from "preact/hooks";
import { ApiError, messageOf, request } from "../api/client";
import { ApiKeys, DeleteApiKey, Events, UpdateApiKey } from "../api/operations";
import type { ApiKey, EventSummary } from "../api/types";
import { ApiKeyAudit } from "../components/api-key-audit";
import { ApiKeyForm } from "../components/api-key-form";
import { DataTable } from "../components/data-table";
import { ConfirmDialog } from "../components/dialog";
import { SecretDialog } from "../components/secret-dialog";
import { Badge, Empty, ErrorBanner, Loading } from "../components/status";
import { formatDateTime } from "../lib/format";
import { useQuery } from "../lib/use-query";
import type { PageProps } from "../routes";

type Open =
  | { kind: "add" }
  | { kind: "edit"; key: ApiKey }
  | { kind: "secret"; secret: string }
  | { kind: "audit"; key: ApiKey }
  | { kind: "delete"; key: ApiKey };

const isExpired = (key: ApiKey) => key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.now();

/** Events the user may list; undefined without the DATA_MANAGEMENT role (then ids are typed). */
async function loadEvents(): Promise<EventSummary[] | undefined> {
  try {
    return (await request(Events)).events;
  } catch (error) {
    if (error instanceof ApiError && error.code === "FORBIDDEN") return undefined;
    throw error;
  }
}

export function ApiKeysPage(_props: PageProps) {
  const keys = useQuery(async () => {
    const [list, events] = await Promise.all([request(ApiKeys), loadEvents()]);
    return { keys: list.apiKeys, events };
  }, []);
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<string | undefined>(undefined);

  const eventName = (id: string) => keys.data?.events?.find((event) => event.id === id)?.name ?? id;

  const toggle = async (key: ApiKey) => {
    setBusy(key.id);
    setActionError(undefined);
    try {
      await request(UpdateApiKey, {
        id: key.id,
        input: { state: key.state === "ACTIVE" ? "DISABLED" : "ACTIVE" },
      });
      await keys.reload();
    } catch (error) {
      setActionError(messageOf(error));
    } finally {
      setBusy(undefined);
    }
  };

  const remove = async (key: ApiKey) => {
    setBusy(key.id);
    setActionError(undefined);
    try {
      await request(DeleteApiKey, { id: key.id });
      setOpen(undefined);
      await keys.reload();
    } catch (error) {
      setActionError(messageOf(error));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="page" aria-labelledby="keys-title">
      <div class="page-header">
        <h1 id="keys-title">API keys</h1>
        <button type="button" class="primary" onClick={() => setOpen({ kind: "add" })}>
          + Add
        </button>
      </div>
      <p class="lead">
        Keys let other systems use the API. Each has its own scope (events, write permission, addresses) and
        limits, and every change is in its audit log.
      </p>
      {actionError && open?.kind !== "delete" && (
        <p class="banner banner-error" role="alert">
          {actionError}
        </p>
      )}
      {keys.error ? (
        <ErrorBanner error={keys.error} onRetry={keys.reload} />
      ) : !keys.data ? (
        <Loading what="API keys" />
      ) : keys.data.keys.length === 0 ? (
        <Empty>
          No API keys yet. <strong>+ Add</strong> creates one.
        </Empty>
      ) : (
        <DataTable<ApiKey>
          caption="API keys"
          testId="api-keys"
          rows={keys.data.keys}
          rowKey={(key) => key.id}
          columns={[
            {
              header: "State",
              cell: (key) =>
                key.state === "DISABLED" ? (
                  <Badge tone="bad">Disabled</Badge>
                ) : isExpired(key) ? (
                  <Badge tone="warn">Expired</Badge>
                ) : (
                  <Badge tone="good">Active</Badge>
                ),
            },
            { header: "Comments", cell: (key) => key.comments ?? <span class="muted">—</span> },
            { header: "Prefix", cell: (key) => <code>{key.prefix}…</code> },
            { header: "Expires", cell: (key) => (key.expiresAt ? formatDateTime(key.expiresAt) : "Never") },
            {
              header: "Events",
              cell: (key) =>
                key.eventIds.length === 0 ? "All events" : key.eventIds.map(eventName).join(", "),
            },
            { header: "Write", cell: (key) => (key.canWrite ? "Yes" : "Read-only") },
            { header: "Last used", cell: (key) => formatDateTime(key.lastUsedAt) },
            {
              header: "Actions",
              cell: (key) => (
                <div class="row-actions">
                  <button type="button" onClick={() => setOpen({ kind: "edit", key })}>
                    Edit<span class="visually-hidden"> key {key.prefix}</span>
                  </button>
                  <button type="button" disabled={busy === key.id} onClick={() => toggle(key)}>
                    {key.state === "ACTIVE" ? "Disable" : "Enable"}
                    <span class="visually-hidden"> key {key.prefix}</span>
                  </button>
                  <button type="button" onClick={() => setOpen({ kind: "audit", key })}>
                    Audit log<span class="visually-hidden"> of key {key.prefix}</span>
                  </button>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      setActionError(undefined);
                      setOpen({ kind: "delete", key });
                    }}
                  >
                    Delete<span class="visually-hidden"> key {key.prefix}</span>
                  </button>
                </div>
              ),
            },
          ]}
        />
      )}

      {(open?.kind === "add" || open?.kind === "edit") && (
        <ApiKeyForm
          apiKey={open.kind === "edit" ? open.key : undefined}
          events={keys.data?.events}
          onClose={() => setOpen(undefined)}
          onSaved={(_key, secret) => {
            setOpen(secret ? { kind: "secret", secret } : undefined);
            void keys.reload();
          }}
        />
      )}
      {open?.kind === "secret" && <SecretDialog secret={open.secret} onClose={() => setOpen(undefined)} />}
      {open?.kind === "audit" && <ApiKeyAudit apiKey={open.key} onClose={() => setOpen(undefined)} />}
      {open?.kind === "delete" && (
        <ConfirmDialog
          title="Delete this API key?"
          message={
            <>
              Key <code>{open.key.prefix}…</code> ({open.key.comments ?? "no comments"}) stops working at
              once, and functions that run as it fail. This cannot be undone.
            </>
          }
          confirmLabel="Delete key"
          busy={busy === open.key.id}
          error={actionError}
          onConfirm={() => remove(open.key)}
          onClose={() => setOpen(undefined)}
        />
      )}
    </section>
  );
}
