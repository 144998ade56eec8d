import { useState } from "preact/hooks";
import { request } from "../api/client";
import { ApiKeys, CreateFunction, Functions, latestRuns } from "../api/operations";
import type { ApiKey, FunctionType, UserFunction } from "../api/types";
import { DataTable } from "../components/data-table";
import { Dialog } from "../components/dialog";
import { SelectField, TextField } from "../components/field";
import { Badge, Empty, ErrorBanner, Loading } from "../components/status";
import { useFieldErrors } from "../lib/field-errors";
import { formatDateTime } from "../lib/format";
import { keyLabel, runTone } from "../lib/labels";
import { useQuery } from "../lib/use-query";
import { followLink, navigate } from "../router";
import type { PageProps } from "../routes";

const STARTER_CODE = `// ctx.request (endpoints): method, path, query, headers, body, json()
// visit.graphql(query, variables) runs as the function's API key.
export default async function (ctx) {
  console.log("running", ctx.request ? ctx.request.method : "on schedule");
  return { ok: true };
}
`;

const LATEST_RUNS_PER_REQUEST = 25;

type LatestRun = { id: string; status: string; startedAt: string };

async function loadFunctions() {
  const [{ functions }, { apiKeys }] = await Promise.all([request(Functions), request(ApiKeys)]);
  const latest = new Map<string, LatestRun | undefined>();
  // A few requests of aliased fields rather than one per function, small enough for the cost limit.
  for (let start = 0; start < functions.length; start += LATEST_RUNS_PER_REQUEST) {
    const ids = functions.slice(start, start + LATEST_RUNS_PER_REQUEST).map((fn) => fn.id);
    const variables = Object.fromEntries(ids.map((id, index) => [`f${index}`, id]));
    const runs = await request(latestRuns(ids), variables);
    for (const [index, id] of ids.entries()) latest.set(id, runs[`f${index}`]?.nodes[0]);
  }
  return { functions, apiKeys, latest };
}

export function FunctionsPage(_props: PageProps) {
  const list = useQuery(loadFunctions, []);
  const [adding, setAdding] = useState(false);
  const keyOf = (id: string) => list.data?.apiKeys.find((key) => key.id === id);

  return (
    <section class="page" aria-labelledby="functions-title">
      <div class="page-header">
        <h1 id="functions-title">Functions</h1>
        <button type="button" class="primary" onClick={() => setAdding(true)}>
          + Add
        </button>
      </div>
      <p class="lead">
        JavaScript that runs in the server's sandbox as one of your API keys: at its own URL (endpoints) or on
        the server's schedule (background tasks).
      </p>
      {list.error ? (
        <ErrorBanner error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading what="functions" />
      ) : list.data.functions.length === 0 ? (
        <Empty>
          No functions yet. <strong>+ Add</strong> creates one.
        </Empty>
      ) : (
        <DataTable<UserFunction>
          caption="Functions"
          testId="functions"
          rows={list.data.functions}
          rowKey={(fn) => fn.id}
          columns={[
            {
              header: "Name",
              cell: (fn) => (
                <a
                  href={`/console/functions/${fn.id}`}
                  onClick={(event) => followLink(event, `/functions/${fn.id}`)}
                >
                  {fn.name}
                </a>
              ),
            },
            { header: "Type", cell: (fn) => (fn.type === "ENDPOINT" ? "Endpoint" : "Background task") },
            {
              header: "Key or schedule",
              cell: (fn) => (fn.type === "ENDPOINT" ? <code>/functions/{fn.key}</code> : "Server schedule"),
            },
            { header: "API key", cell: (fn) => keyLabel(keyOf(fn.apiKeyId), fn.apiKeyId) },
            {
              header: "Enabled",
              cell: (fn) =>
                fn.enabled ? <Badge tone="good">Enabled</Badge> : <Badge tone="neutral">Disabled</Badge>,
            },
            {
              header: "Last run",
              cell: (fn) => {
                const run = list.data?.latest.get(fn.id);
                if (!run) return <span class="muted">Never</span>;
                return (
                  <span>
                    {formatDateTime(run.startedAt)} <Badge tone={runTone(run.status)}>{run.status}</Badge>
                  </span>
                );
              },
            },
          ]}
        />
      )}
      {adding && list.data && (
        <AddFunctionDialog
          apiKeys={list.data.apiKeys}
          onClose={() => setAdding(false)}
          onCreated={(fn) => navigate(`/functions/${fn.id}`)}
        />
      )}
    </section>
  );
}

function AddFunctionDialog(props: {
  apiKeys: ApiKey[];
  onClose: () => void;
  onCreated: (fn: UserFunction) => void;
}) {
  const [name, setName] = useState("");
  const [type, setType] = useState<FunctionType>("ENDPOINT");
  const [key, setKey] = useState("");
  const [apiKeyId, setApiKeyId] = useState(props.apiKeys[0]?.id ?? "");
  const [busy, setBusy] = useState(false);
  const errors = useFieldErrors(["name", "type", "key", "apiKeyId", "code"]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      const { createFunction } = await request(CreateFunction, {
        input: { name, type, key: type === "ENDPOINT" ? key.trim() : null, apiKeyId, code: STARTER_CODE },
      });
      props.onCreated(createFunction);
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Add a function" onClose={props.onClose}>
      {props.apiKeys.length === 0 ? (
        <p>
          A function runs as an API key: add a key on the{" "}
          <a href="/console/keys" onClick={(event) => followLink(event, "/keys")}>
            API keys
          </a>{" "}
          page first.
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          {errors.general && (
            <p class="banner banner-error" role="alert">
              {errors.general}
            </p>
          )}
          <TextField
            label="Name"
            name="name"
            required
            value={name}
            onInput={setName}
            error={errors.fields.name}
          />
          <SelectField<FunctionType>
            label="Type"
            name="type"
            value={type}
            options={[
              { value: "ENDPOINT", label: "Endpoint (called at its URL)" },
              { value: "BACKGROUND_TASK", label: "Background task (runs on the schedule)" },
            ]}
            onChange={setType}
            error={errors.fields.type}
          />
          {type === "ENDPOINT" && (
            <TextField
              label="Key"
              name="key"
              value={key}
              onInput={setKey}
              hint="Unique in the organisation; the endpoint's URL is /functions/<key>. Lowercase letters, digits, - and _"
              error={errors.fields.key}
            />
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
            hint="The function has this key's scope and limits"
            error={errors.fields.apiKeyId}
          />
          {errors.fields.code && (
            <p class="banner banner-error" role="alert">
              {errors.fields.code}
            </p>
          )}
          <div class="actions">
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={busy}>
              {busy ? "Adding…" : "Add function"}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
