import { useState } from "preact/hooks";
import { request } from "../api/client";
import { CreateWebhook, UpdateWebhook } from "../api/operations";
import { WEBHOOK_TYPES, type Webhook, type WebhookType } from "../api/types";
import { useFieldErrors } from "../lib/field-errors";
import { Dialog } from "./dialog";
import { Checkbox, SelectField, TextField } from "./field";

const TYPE_LABELS: Record<WebhookType, string> = {
  VISITOR: "Visitors (registrations)",
  PARTNER: "Partners (exhibitors)",
};

/** Adds a webhook to an event (its signing secret comes back once) or edits one's URL and state. */
export function WebhookForm(props: {
  eventId: string;
  eventName: string;
  webhook?: Webhook;
  onClose: () => void;
  onSaved: (webhook: Webhook, secret?: string) => void;
}) {
  const editing = props.webhook;
  const [type, setType] = useState<WebhookType>(editing?.type ?? "VISITOR");
  const [url, setUrl] = useState(editing?.url ?? "");
  const [enabled, setEnabled] = useState(editing?.enabled ?? true);
  const [busy, setBusy] = useState(false);
  const errors = useFieldErrors(["type", "url", "enabled"]);

  const submit = async (event: Event) => {
    event.preventDefault();
    errors.clear();
    if (!url.trim()) {
      errors.set("url", "Enter the URL that receives the pings");
      return;
    }
    setBusy(true);
    try {
      if (editing) {
        const { updateWebhook } = await request(UpdateWebhook, {
          eventId: props.eventId,
          id: editing.id,
          input: {
            ...(url !== editing.url && { url }),
            ...(enabled !== editing.enabled && { enabled }),
          },
        });
        props.onSaved(updateWebhook);
      } else {
        const { createWebhook } = await request(CreateWebhook, {
          eventId: props.eventId,
          input: { type, url, enabled },
        });
        props.onSaved(createWebhook.webhook, createWebhook.secret);
      }
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={
        editing ? `Edit the ${editing.type.toLowerCase()} webhook` : `Add a webhook to ${props.eventName}`
      }
      onClose={props.onClose}
    >
      <form onSubmit={submit} noValidate>
        {errors.general && (
          <p class="banner banner-error" role="alert">
            {errors.general}
          </p>
        )}
        {editing ? (
          <p>
            Reports <strong>{TYPE_LABELS[editing.type]}</strong>; the type of a webhook does not change.
          </p>
        ) : (
          <SelectField<WebhookType>
            label="Type"
            name="type"
            value={type}
            options={WEBHOOK_TYPES.map((value) => ({ value, label: TYPE_LABELS[value] }))}
            onChange={setType}
            hint="Which records of the event the webhook reports"
            error={errors.fields.type}
          />
        )}
        <TextField
          label="URL"
          name="url"
          type="url"
          value={url}
          onInput={setUrl}
          required
          placeholder="https://example.com/visit-webhook"
          hint="Receives GET ?expoId=…&webhookId=… when records change; public addresses only"
          error={errors.fields.url}
        />
        <Checkbox
          label="Enabled"
          name="enabled"
          checked={enabled}
          onChange={setEnabled}
          hint="A disabled webhook keeps its place in the feed and is not pinged"
          error={errors.fields.enabled}
        />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Saving…" : editing ? "Save changes" : "Add webhook"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
