import { useEffect, useState } from "preact/hooks";
import { messageOf, request } from "../api/client";
import {
  DeleteWebhook,
  Events,
  UpdateWebhook,
  WebhookAuditLog,
  WebhookDeliveries,
  Webhooks,
} from "../api/operations";
import type { EventSummary, Webhook } from "../api/types";
import { DataTable } from "../components/data-table";
import { ConfirmDialog } from "../components/dialog";
import { SelectField } from "../components/field";
import { NotificationUrlSection } from "../components/notification-url";
import { SecretDialog } from "../components/secret-dialog";
import { Badge, Empty, ErrorBanner, Loading } from "../components/status";
import { WebhookForm } from "../components/webhook-form";
import { DeliveryLog, DeliveryOutcome, StateBadge, WebhookAudit } from "../components/webhook-log";
import { formatDateTime } from "../lib/format";
import { useQuery } from "../lib/use-query";
import type { PageProps } from "../routes";

type Open =
  | { kind: "add" }
  | { kind: "edit"; webhook: Webhook }
  | { kind: "secret"; secret: string }
  | { kind: "deliveries"; webhook: Webhook }
  | { kind: "audit"; webhook: Webhook }
  | { kind: "delete"; webhook: Webhook };

/** While a ping is in flight the list refreshes itself this often, so its outcome shows up. */
const LIVE_REFRESH_MS = 3_000;

const selectedInAddress = () => new URLSearchParams(location.search).get("event") ?? undefined;

/** The event's webhooks, with their delivery state; ADMINs also set the organisation's notification URL. */
export function WebhooksPage({ user }: PageProps) {
  const events = useQuery(async () => (await request(Events)).events, []);
  const [chosen, setChosen] = useState<string | undefined>(selectedInAddress);
  const eventId = events.data?.find((event) => event.id === chosen)?.id ?? events.data?.[0]?.id ?? undefined;
  const eventName = events.data?.find((event) => event.id === eventId)?.name ?? "";

  const choose = (id: string) => {
    setChosen(id);
    // Kept in the address, so a reload or a shared link opens the same event.
    history.replaceState(null, "", `?event=${encodeURIComponent(id)}`);
  };

  return (
    <section class="page" aria-labelledby="webhooks-title">
      <div class="page-header">
        <h1 id="webhooks-title">Webhooks</h1>
      </div>
      <p class="lead">
        A webhook pings a URL when visitors or partners of an event change; the receiver then pulls the
        changes through the API. Each ping is signed with the webhook's secret and retried on failure.
      </p>
      {events.error ? (
        <ErrorBanner error={events.error} onRetry={events.reload} />
      ) : !events.data ? (
        <Loading what="events" />
      ) : events.data.length === 0 || !eventId ? (
        <Empty>No events yet: webhooks belong to an event, so create one through the API first.</Empty>
      ) : (
        <EventWebhooks events={events.data} eventId={eventId} eventName={eventName} onChoose={choose} />
      )}
      {user.roles.includes("ADMIN") && <NotificationUrlSection />}
    </section>
  );
}

function EventWebhooks(props: {
  events: EventSummary[];
  eventId: string;
  eventName: string;
  onChoose: (id: string) => void;
}) {
  const { eventId } = props;
  const list = useQuery(async () => (await request(Webhooks, { eventId })).webhooks, [eventId]);
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [actionError, setActionError] = useState<string | undefined>(undefined);

  const inFlight = list.data?.some((webhook) => webhook.coveredRevision !== null) ?? false;
  useEffect(() => {
    if (!inFlight || list.loading) return;
    const timer = setTimeout(() => void list.reload(), LIVE_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [inFlight, list.loading, list.data]);

  const act = async (webhook: Webhook, action: () => Promise<unknown>) => {
    setBusy(webhook.id);
    setActionError(undefined);
    try {
      await action();
      await list.reload();
      return true;
    } catch (error) {
      setActionError(messageOf(error));
      return false;
    } finally {
      setBusy(undefined);
    }
  };
  const reset = async (webhook: Webhook) => {
    const done = await act(webhook, () =>
      request(UpdateWebhook, { eventId, id: webhook.id, input: { state: "WAIT" } }),
    );
    // The Reset button is gone now: keep the keyboard in the same row rather than at the page's top.
    if (done) {
      requestAnimationFrame(() =>
        document.querySelector<HTMLButtonElement>(`[data-webhook="${webhook.id}"] button`)?.focus(),
      );
    }
  };
  const toggle = (webhook: Webhook) =>
    act(webhook, () =>
      request(UpdateWebhook, { eventId, id: webhook.id, input: { enabled: !webhook.enabled } }),
    );
  const remove = async (webhook: Webhook) => {
    if (await act(webhook, () => request(DeleteWebhook, { eventId, id: webhook.id }))) setOpen(undefined);
  };

  return (
    <>
      <div class="toolbar">
        <SelectField<string>
          label="Event"
          name="event"
          value={eventId}
          options={props.events.map((event) => ({ value: event.id, label: event.name }))}
          onChange={props.onChoose}
        />
        <div class="actions">
          <button type="button" disabled={list.loading} onClick={() => void list.reload()}>
            Refresh
          </button>
          <button type="button" class="primary" onClick={() => setOpen({ kind: "add" })}>
            + Add
          </button>
        </div>
      </div>
      {actionError && open?.kind !== "delete" && (
        <p class="banner banner-error" role="alert">
          {actionError}
        </p>
      )}
      {list.error ? (
        <ErrorBanner error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading what="webhooks" />
      ) : list.data.length === 0 ? (
        <Empty>
          No webhooks for {props.eventName} yet. <strong>+ Add</strong> creates one.
        </Empty>
      ) : (
        <DataTable<Webhook>
          caption={`Webhooks of ${props.eventName}`}
          testId="webhooks"
          rows={list.data}
          rowKey={(webhook) => webhook.id}
          columns={[
            { header: "Type", cell: (webhook) => (webhook.type === "VISITOR" ? "Visitors" : "Partners") },
            { header: "URL", cell: (webhook) => <code class="url">{webhook.url}</code> },
            {
              header: "Enabled",
              cell: (webhook) =>
                webhook.enabled ? <Badge tone="good">Enabled</Badge> : <Badge tone="neutral">Disabled</Badge>,
            },
            { header: "State", cell: (webhook) => <StateBadge target={webhook} /> },
            { header: "Errors", numeric: true, cell: (webhook) => webhook.errorCount },
            {
              header: "Last delivery",
              cell: (webhook) =>
                webhook.lastSentAt ? (
                  <>
                    <DeliveryOutcome status={webhook.lastStatus} error={webhook.lastError} />{" "}
                    <span class="muted">{formatDateTime(webhook.lastSentAt)}</span>
                  </>
                ) : (
                  <span class="muted">Never</span>
                ),
            },
            {
              header: "Actions",
              cell: (webhook) => {
                const name = <span class="visually-hidden"> webhook {webhook.url}</span>;
                return (
                  <div class="row-actions" data-webhook={webhook.id}>
                    {webhook.state === "ERROR" && (
                      <button
                        type="button"
                        class="primary"
                        disabled={busy === webhook.id}
                        onClick={() => void reset(webhook)}
                      >
                        Reset to WAIT<span class="visually-hidden"> webhook {webhook.url}</span>
                      </button>
                    )}
                    <button type="button" onClick={() => setOpen({ kind: "edit", webhook })}>
                      Edit{name}
                    </button>
                    <button type="button" disabled={busy === webhook.id} onClick={() => void toggle(webhook)}>
                      {webhook.enabled ? "Disable" : "Enable"}
                      {name}
                    </button>
                    <button type="button" onClick={() => setOpen({ kind: "deliveries", webhook })}>
                      Deliveries<span class="visually-hidden"> of webhook {webhook.url}</span>
                    </button>
                    <button type="button" onClick={() => setOpen({ kind: "audit", webhook })}>
                      Audit log<span class="visually-hidden"> of webhook {webhook.url}</span>
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        setActionError(undefined);
                        setOpen({ kind: "delete", webhook });
                      }}
                    >
                      Delete{name}
                    </button>
                  </div>
                );
              },
            },
          ]}
        />
      )}

      {(open?.kind === "add" || open?.kind === "edit") && (
        <WebhookForm
          eventId={eventId}
          eventName={props.eventName}
          webhook={open.kind === "edit" ? open.webhook : undefined}
          onClose={() => setOpen(undefined)}
          onSaved={(_webhook, secret) => {
            setOpen(secret ? { kind: "secret", secret } : undefined);
            void list.reload();
          }}
        />
      )}
      {open?.kind === "secret" && (
        <SecretDialog
          secret={open.secret}
          title="The webhook's signing secret"
          label="Signing secret"
          stored="I have stored the secret"
          onClose={() => setOpen(undefined)}
        >
          Copy the signing secret now: the receiver verifies each ping's <code>webhook-signature</code> header
          with it (Standard Webhooks). It is shown only this once. Lost it? Add a new webhook and delete this
          one.
        </SecretDialog>
      )}
      {open?.kind === "deliveries" && (
        <DeliveryLog
          title={`Deliveries to ${open.webhook.url}`}
          load={async (options) =>
            (await request(WebhookDeliveries, { webhookId: open.webhook.id, ...options })).webhookDeliveries
          }
          onClose={() => setOpen(undefined)}
        />
      )}
      {open?.kind === "audit" && (
        <WebhookAudit
          title={`Audit log of the webhook to ${open.webhook.url}`}
          load={async () =>
            (await request(WebhookAuditLog, { eventId, webhookId: open.webhook.id, first: 200 }))
              .webhookAuditLog
          }
          onClose={() => setOpen(undefined)}
        />
      )}
      {open?.kind === "delete" && (
        <ConfirmDialog
          title="Delete this webhook?"
          message={
            <>
              <code>{open.webhook.url}</code> gets no more pings for {props.eventName}. This cannot be undone.
            </>
          }
          confirmLabel="Delete webhook"
          busy={busy === open.webhook.id}
          error={actionError}
          onConfirm={() => void remove(open.webhook)}
          onClose={() => setOpen(undefined)}
        />
      )}
    </>
  );
}
