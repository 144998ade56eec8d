import { useState } from "preact/hooks";
import { request } from "../api/client";
import { CreateApiKey, UpdateApiKey } from "../api/operations";
import type { ApiKey, ApiKeyInput, ApiKeyState, EventSummary } from "../api/types";
import { useFieldErrors } from "../lib/field-errors";
import { fromLocalInput, toLocalInput } from "../lib/format";
import { invalidIpMessage, splitList } from "../lib/ip-ranges";
import { Dialog } from "./dialog";
import { Checkbox, CheckboxGroup, SelectField, TextArea, TextField } from "./field";

const FIELDS = [
  "state",
  "comments",
  "expiresAt",
  "allowedIps",
  "eventIds",
  "canWrite",
  "contact.name",
  "contact.email",
  "contact.phone",
  "rateLimitPerMinute",
  "concurrencyLimit",
] as const;

type Draft = {
  state: ApiKeyState;
  comments: string;
  expiresAt: string;
  allowedIps: string;
  eventIds: string[];
  eventIdsText: string;
  canWrite: boolean;
  contactName: string;
  contactEmail: string;
  contactPhone: string;
  rateLimitPerMinute: string;
  concurrencyLimit: string;
};

const draftOf = (key: ApiKey | undefined): Draft => ({
  state: key?.state ?? "ACTIVE",
  comments: key?.comments ?? "",
  expiresAt: toLocalInput(key?.expiresAt),
  allowedIps: (key?.allowedIps ?? []).join("\n"),
  eventIds: key?.eventIds ?? [],
  eventIdsText: (key?.eventIds ?? []).join(", "),
  canWrite: key?.canWrite ?? false,
  contactName: key?.contact.name ?? "",
  contactEmail: key?.contact.email ?? "",
  contactPhone: key?.contact.phone ?? "",
  rateLimitPerMinute: key?.rateLimitPerMinute?.toString() ?? "",
  concurrencyLimit: key?.concurrencyLimit?.toString() ?? "",
});

/** Blank: null (the deployment default); otherwise the number, which the server validates. */
const optionalInt = (text: string): number | null => (text.trim() === "" ? null : Number(text));
const optionalText = (text: string): string | null => (text.trim() === "" ? null : text.trim());

/**
 * Adds or edits an API key with every field of a key. `events` is undefined when the user may not
 * list events (no DATA_MANAGEMENT role): then event ids are typed.
 */
export function ApiKeyForm(props: {
  apiKey?: ApiKey;
  events: EventSummary[] | undefined;
  onClose: () => void;
  onSaved: (key: ApiKey, secret?: string) => void;
}) {
  const [draft, setDraft] = useState(() => draftOf(props.apiKey));
  const [busy, setBusy] = useState(false);
  const errors = useFieldErrors(FIELDS);
  const change = <K extends keyof Draft>(field: K, value: Draft[K]) =>
    setDraft((current) => ({ ...current, [field]: value }));

  const submit = async (event: Event) => {
    event.preventDefault();
    const ipError = invalidIpMessage(draft.allowedIps);
    if (ipError) {
      errors.set("allowedIps", ipError);
      return;
    }
    const expiresAt = fromLocalInput(draft.expiresAt);
    if (draft.expiresAt && !expiresAt) {
      errors.set("expiresAt", "Enter a date and time");
      return;
    }
    const contact = {
      name: optionalText(draft.contactName),
      email: optionalText(draft.contactEmail),
      phone: optionalText(draft.contactPhone),
    };
    const input: ApiKeyInput = {
      state: draft.state,
      comments: optionalText(draft.comments),
      expiresAt,
      allowedIps: splitList(draft.allowedIps),
      eventIds: props.events ? draft.eventIds : splitList(draft.eventIdsText),
      canWrite: draft.canWrite,
      contact,
      rateLimitPerMinute: optionalInt(draft.rateLimitPerMinute),
      concurrencyLimit: optionalInt(draft.concurrencyLimit),
    };
    setBusy(true);
    errors.clear();
    try {
      if (props.apiKey) {
        const { updateApiKey } = await request(UpdateApiKey, { id: props.apiKey.id, input });
        props.onSaved(updateApiKey);
      } else {
        const { createApiKey } = await request(CreateApiKey, { input });
        props.onSaved(createApiKey.apiKey, createApiKey.secret);
      }
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={props.apiKey ? `Edit key ${props.apiKey.prefix}…` : "Add an API key"}
      onClose={props.onClose}
      wide
    >
      <form onSubmit={submit} noValidate>
        {errors.general && (
          <p class="banner banner-error" role="alert">
            {errors.general}
          </p>
        )}
        <div class="form-grid">
          <SelectField
            label="State"
            name="state"
            value={draft.state}
            options={[
              { value: "ACTIVE", label: "Active" },
              { value: "DISABLED", label: "Disabled" },
            ]}
            onChange={(value) => change("state", value)}
            error={errors.fields.state}
          />
          <TextField
            label="Expires after"
            name="expiresAt"
            type="datetime-local"
            value={draft.expiresAt}
            onInput={(value) => change("expiresAt", value)}
            hint="Leave empty for a key that does not expire"
            error={errors.fields.expiresAt}
          />
        </div>
        <TextArea
          label="Comments"
          name="comments"
          value={draft.comments}
          onInput={(value) => change("comments", value)}
          hint="What the key is used for, and by whom"
          error={errors.fields.comments}
        />
        <TextArea
          label="Allowed IP addresses"
          name="allowedIps"
          value={draft.allowedIps}
          onInput={(value) => {
            change("allowedIps", value);
            errors.set("allowedIps", invalidIpMessage(value));
          }}
          hint="One IPv4/IPv6 address or CIDR range (10.0.0.0/8) per line; empty allows any address"
          error={errors.fields.allowedIps}
        />
        {props.events ? (
          <CheckboxGroup
            legend="Events"
            options={props.events.map((item) => ({ value: item.id, label: `${item.name} (${item.id})` }))}
            selected={draft.eventIds}
            onChange={(value) => change("eventIds", value)}
            hint={
              props.events.length === 0
                ? "The organisation has no events yet: the key will see every event"
                : "None selected: every event of the organisation"
            }
            error={errors.fields.eventIds}
          />
        ) : (
          <TextField
            label="Event ids"
            name="eventIds"
            value={draft.eventIdsText}
            onInput={(value) => change("eventIdsText", value)}
            hint="Comma-separated; empty: every event of the organisation"
            error={errors.fields.eventIds}
          />
        )}
        <Checkbox
          label="Write permission (create, update and delete data)"
          name="canWrite"
          checked={draft.canWrite}
          onChange={(value) => change("canWrite", value)}
          hint="Without it the key can only read"
          error={errors.fields.canWrite}
        />
        <fieldset class="field-group">
          <legend>Contact</legend>
          <div class="form-grid three">
            <TextField
              label="Contact name"
              name="contactName"
              value={draft.contactName}
              onInput={(value) => change("contactName", value)}
              error={errors.fields["contact.name"]}
            />
            <TextField
              label="Contact email"
              name="contactEmail"
              type="email"
              value={draft.contactEmail}
              onInput={(value) => change("contactEmail", value)}
              error={errors.fields["contact.email"]}
            />
            <TextField
              label="Contact phone"
              name="contactPhone"
              value={draft.contactPhone}
              onInput={(value) => change("contactPhone", value)}
              error={errors.fields["contact.phone"]}
            />
          </div>
        </fieldset>
        <div class="form-grid">
          <TextField
            label="Rate limit (calls per minute)"
            name="rateLimitPerMinute"
            type="number"
            min={1}
            value={draft.rateLimitPerMinute}
            onInput={(value) => change("rateLimitPerMinute", value)}
            hint="Empty: the deployment default"
            error={errors.fields.rateLimitPerMinute}
          />
          <TextField
            label="Concurrency limit (calls at once)"
            name="concurrencyLimit"
            type="number"
            min={1}
            value={draft.concurrencyLimit}
            onInput={(value) => change("concurrencyLimit", value)}
            hint="Empty: the deployment default"
            error={errors.fields.concurrencyLimit}
          />
        </div>
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Saving…" : props.apiKey ? "Save changes" : "Add key"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
