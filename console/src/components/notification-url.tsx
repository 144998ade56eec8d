import { useEffect, useState } from "preact/hooks";
import { request } from "../api/client";
import {
  NotificationAuditLog,
  NotificationDeliveries,
  OrganisationSettings,
  UpdateOrganisation,
} from "../api/operations";
import type { Organisation, WebhookState } from "../api/types";
import { useFieldErrors } from "../lib/field-errors";
import { formatDateTime } from "../lib/format";
import { useQuery } from "../lib/use-query";
import { ConfirmDialog } from "./dialog";
import { TextField } from "./field";
import { SecretDialog } from "./secret-dialog";
import { ErrorBanner, Loading } from "./status";
import { DeliveryLog, DeliveryOutcome, StateBadge, WebhookAudit } from "./webhook-log";

type Open = "secret" | "clear" | "deliveries" | "audit";

/**
 * The organisation's notification URL (Visit v1: one GET per visitor who ends up REGISTERED, in
 * every event): view, set, clear and reset it. ADMIN only, like the server's rule.
 */
export function NotificationUrlSection() {
  const organisation = useQuery(async () => (await request(OrganisationSettings)).organisation, []);
  const [url, setUrl] = useState("");
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const errors = useFieldErrors(["notificationUrl", "notificationState"]);
  const current = organisation.data?.notification ?? null;

  useEffect(() => setUrl(organisation.data?.notificationUrl ?? ""), [organisation.data?.notificationUrl]);

  const update = async (
    input: { notificationUrl?: string | null; notificationState?: WebhookState },
    done: string,
  ) => {
    setBusy(true);
    setSaved(undefined);
    errors.clear();
    try {
      const { updateOrganisation } = await request(UpdateOrganisation, { input });
      await organisation.reload();
      if (updateOrganisation.notificationSecret) {
        setSecret(updateOrganisation.notificationSecret);
        setOpen("secret");
      } else {
        setOpen(undefined);
      }
      setSaved(done);
    } catch (error) {
      if (open === "clear") setOpen(undefined);
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (!url.trim()) {
      errors.clear();
      errors.set("notificationUrl", "Enter a URL, or use Remove to stop the notifications");
      return;
    }
    void update({ notificationUrl: url.trim() }, "Notification URL saved.");
  };

  return (
    <section class="panel" aria-labelledby="notification-title">
      <h2 id="notification-title">Notification URL</h2>
      <p class="lead">
        For the whole organisation: the server calls <code>GET &lt;url&gt;?event=…&amp;visitor=…</code> once
        per change that leaves a visitor registered, in any event. Only admins see and set it.
      </p>
      {organisation.error ? (
        <ErrorBanner error={organisation.error} onRetry={organisation.reload} />
      ) : !organisation.data ? (
        <Loading what="the notification URL" />
      ) : (
        <>
          {current && <NotificationState target={current} />}
          <form onSubmit={submit} noValidate>
            {errors.general && (
              <p class="banner banner-error" role="alert">
                {errors.general}
              </p>
            )}
            <TextField
              label="Notification URL"
              name="notificationUrl"
              type="url"
              value={url}
              onInput={setUrl}
              placeholder="https://example.com/visit-notification"
              hint="http(s); public addresses only, unless the operator allows the host"
              error={errors.fields.notificationUrl ?? errors.fields.notificationState}
            />
            {saved && (
              <p class="hint" role="status">
                {saved}
              </p>
            )}
            <div class="actions start">
              <button type="submit" class="primary" disabled={busy}>
                {busy ? "Saving…" : current ? "Save URL" : "Set URL"}
              </button>
              {current?.state === "ERROR" && (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => void update({ notificationState: "WAIT" }, "Reset: delivery resumes.")}
                >
                  Reset to WAIT<span class="visually-hidden"> the notification URL</span>
                </button>
              )}
              {current && (
                <>
                  <button type="button" onClick={() => setOpen("deliveries")}>
                    Deliveries<span class="visually-hidden"> of the notification URL</span>
                  </button>
                  <button type="button" onClick={() => setOpen("audit")}>
                    Audit log<span class="visually-hidden"> of the notification URL</span>
                  </button>
                  <button type="button" class="danger" disabled={busy} onClick={() => setOpen("clear")}>
                    Remove<span class="visually-hidden"> the notification URL</span>
                  </button>
                </>
              )}
            </div>
          </form>
        </>
      )}
      {open === "secret" && secret && (
        <SecretDialog
          secret={secret}
          title="The notification URL's signing secret"
          label="Signing secret"
          stored="I have stored the secret"
          onClose={() => {
            setSecret(undefined);
            setOpen(undefined);
          }}
        >
          Copy the signing secret now: the receiver verifies each call's <code>webhook-signature</code> header
          with it. It is shown only this once; removing the URL and setting it again makes a new one.
        </SecretDialog>
      )}
      {open === "clear" && (
        <ConfirmDialog
          title="Remove the notification URL?"
          message="No more notifications are sent; setting a URL again starts from the latest change, with a new secret."
          confirmLabel="Remove"
          busy={busy}
          onConfirm={() => void update({ notificationUrl: null }, "Notification URL removed.")}
          onClose={() => setOpen(undefined)}
        />
      )}
      {open === "deliveries" && (
        <DeliveryLog
          title="Deliveries to the notification URL"
          load={async (options) => (await request(NotificationDeliveries, options)).notificationDeliveries}
          onClose={() => setOpen(undefined)}
        />
      )}
      {open === "audit" && (
        <WebhookAudit
          title="Audit log of the notification URL"
          load={async () => (await request(NotificationAuditLog, { first: 200 })).notificationAuditLog}
          onClose={() => setOpen(undefined)}
        />
      )}
    </section>
  );
}

function NotificationState({ target }: { target: NonNullable<Organisation["notification"]> }) {
  return (
    <dl class="facts" data-testid="notification-state">
      <div>
        <dt>State</dt>
        <dd>
          <StateBadge target={target} />
        </dd>
      </div>
      <div>
        <dt>Errors</dt>
        <dd>{target.errorCount}</dd>
      </div>
      <div>
        <dt>Last delivery</dt>
        <dd>
          {target.lastSentAt ? (
            <>
              <DeliveryOutcome status={target.lastStatus} error={target.lastError} />{" "}
              <span class="muted">{formatDateTime(target.lastSentAt)}</span>
            </>
          ) : (
            "Never"
          )}
        </dd>
      </div>
    </dl>
  );
}
