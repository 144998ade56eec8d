import { useState } from "preact/hooks";
import { messageOf, request } from "../api/client";
import { ApiKeys, DeleteFunction, FunctionById, UpdateFunction } from "../api/operations";
import type { ApiKey, FunctionInput, UserFunction } from "../api/types";
import { CodeEditor } from "../components/code-editor";
import { CopyButton } from "../components/copy-button";
import { ConfirmDialog } from "../components/dialog";
import { SelectField, TextField } from "../components/field";
import { RunHistory, RunNow, useRuns } from "../components/function-runs";
import { Badge, ErrorBanner, Loading } from "../components/status";
import { useFieldErrors } from "../lib/field-errors";
import { formatDateTime } from "../lib/format";
import { keyLabel } from "../lib/labels";
import { useQuery } from "../lib/use-query";
import { followLink, navigate } from "../router";
import type { PageProps } from "../routes";

export function FunctionDetailPage({ params }: PageProps) {
  const id = params.id ?? "";
  const loaded = useQuery(async () => {
    const [fn, keys] = await Promise.all([request(FunctionById, { id }), request(ApiKeys)]);
    return { fn: fn.function, apiKeys: keys.apiKeys };
  }, [id]);

  if (loaded.error) {
    return (
      <section class="page">
        <BackLink />
        <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
      </section>
    );
  }
  if (!loaded.data) {
    return (
      <section class="page">
        <Loading what="the function" />
      </section>
    );
  }
  return <FunctionEditor key={loaded.data.fn.id} initial={loaded.data.fn} apiKeys={loaded.data.apiKeys} />;
}

function BackLink() {
  return (
    <p>
      <a href="/console/functions" onClick={(event) => followLink(event, "/functions")}>
        ← All functions
      </a>
    </p>
  );
}

function FunctionEditor(props: { initial: UserFunction; apiKeys: ApiKey[] }) {
  const [fn, setFn] = useState(props.initial);
  const [code, setCode] = useState(props.initial.code);
  const [name, setName] = useState(props.initial.name);
  const [key, setKey] = useState(props.initial.key ?? "");
  const [apiKeyId, setApiKeyId] = useState(props.initial.apiKeyId);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<string | undefined>(undefined);
  const errors = useFieldErrors(["name", "key", "apiKeyId", "code", "enabled"]);
  const runs = useRuns(fn.id);
  const dirty = code !== fn.code || name !== fn.name || key !== (fn.key ?? "") || apiKeyId !== fn.apiKeyId;

  const save = async (input: FunctionInput) => {
    setSaving(true);
    setSaved(undefined);
    errors.clear();
    try {
      const { updateFunction } = await request(UpdateFunction, { id: fn.id, input });
      setFn(updateFunction);
      setSaved(`Saved at ${new Date().toLocaleTimeString()}`);
      return true;
    } catch (error) {
      errors.show(error);
      return false;
    } finally {
      setSaving(false);
    }
  };

  const saveAll = (event: Event) => {
    event.preventDefault();
    void save({ name, code, apiKeyId, ...(fn.type === "ENDPOINT" && { key: key.trim() }) });
  };

  const remove = async () => {
    try {
      await request(DeleteFunction, { id: fn.id });
      navigate("/functions");
    } catch (error) {
      setDeleteError(messageOf(error));
    }
  };

  const endpointUrl = fn.key ? `${location.origin}/functions/${fn.key}` : undefined;

  return (
    <section class="page" aria-labelledby="function-title">
      <BackLink />
      <div class="page-header">
        <h1 id="function-title">{fn.name}</h1>
        <div class="row-actions">
          {fn.enabled ? <Badge tone="good">Enabled</Badge> : <Badge tone="neutral">Disabled</Badge>}
          <button type="button" disabled={saving} onClick={() => void save({ enabled: !fn.enabled })}>
            {fn.enabled ? "Disable" : "Enable"}
          </button>
          <button type="button" class="danger" onClick={() => setDeleting(true)}>
            Delete
          </button>
        </div>
      </div>
      <p class="lead">
        {fn.type === "ENDPOINT" ? "Endpoint" : "Background task, run on the server's schedule"}
        {fn.lastSuccessAt && <> · last success {formatDateTime(fn.lastSuccessAt)}</>}
      </p>
      {endpointUrl && (
        <div class="endpoint">
          <span>Endpoint URL</span>
          <code data-testid="endpoint-url">{endpointUrl}</code>
          <CopyButton text={endpointUrl} label="Copy URL" />
          <span class="hint">Call it with the API key's secret: Authorization: Bearer &lt;key&gt;</span>
        </div>
      )}

      <form onSubmit={saveAll} noValidate class="function-form">
        {errors.general && (
          <p class="banner banner-error" role="alert">
            {errors.general}
          </p>
        )}
        <div class="form-grid three">
          <TextField label="Name" name="name" value={name} onInput={setName} error={errors.fields.name} />
          {fn.type === "ENDPOINT" && (
            <TextField label="Key" name="key" value={key} onInput={setKey} error={errors.fields.key} />
          )}
          <SelectField
            label="Runs as API key"
            name="apiKeyId"
            value={apiKeyId}
            options={props.apiKeys.map((apiKey) => ({
              value: apiKey.id,
              label: keyLabel(apiKey, apiKey.id),
            }))}
            onChange={setApiKeyId}
            error={errors.fields.apiKeyId}
          />
        </div>
        <div class={`field${errors.fields.code ? " field-invalid" : ""}`}>
          <span class="label" id="code-label">
            Code
          </span>
          <CodeEditor label="Code" initialValue={props.initial.code} onChange={setCode} />
          {errors.fields.code && (
            <p class="error" role="alert">
              {errors.fields.code}
            </p>
          )}
        </div>
        <div class="actions start">
          <button type="submit" class="primary" disabled={saving || !dirty}>
            {saving ? "Saving…" : "Save"}
          </button>
          <span class="muted" role="status">
            {dirty ? "Unsaved changes" : saved}
          </span>
        </div>
      </form>

      <RunNow fn={fn} dirty={dirty} onRan={runs.reload} />

      <h2>Run history</h2>
      <RunHistory runs={runs} />

      {deleting && (
        <ConfirmDialog
          title="Delete this function?"
          message={`${fn.name} and its run history are deleted; its URL stops answering. This cannot be undone.`}
          confirmLabel="Delete function"
          error={deleteError}
          onConfirm={remove}
          onClose={() => setDeleting(false)}
        />
      )}
    </section>
  );
}
