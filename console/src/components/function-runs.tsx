import { useEffect, useState } from "preact/hooks";
import { request } from "../api/client";
import { FunctionRuns, RunFunction } from "../api/operations";
import type { FunctionRun, ManualRun, UserFunction } from "../api/types";
import { useFieldErrors } from "../lib/field-errors";
import { formatDateTime, formatJson } from "../lib/format";
import { runTone } from "../lib/labels";
import { useQuery } from "../lib/use-query";
import { DataTable } from "./data-table";
import { TextArea } from "./field";
import { Badge, Empty, ErrorBanner, Loading } from "./status";

const PAGE_SIZE = 20;

/** Runs the saved function now (trigger MANUAL) and shows that run's result, logs and error. */
export function RunNow(props: { fn: UserFunction; dirty: boolean; onRan: () => void }) {
  const [input, setInput] = useState("");
  const [busy, setBusy] = useState(false);
  const [run, setRun] = useState<ManualRun | undefined>(undefined);
  const errors = useFieldErrors(["input"]);

  const start = async () => {
    errors.clear();
    let parsed: unknown = null;
    if (input.trim() !== "") {
      try {
        parsed = JSON.parse(input);
      } catch {
        errors.set("input", "Not valid JSON");
        return;
      }
    }
    setBusy(true);
    try {
      const { runFunction } = await request(RunFunction, { id: props.fn.id, input: parsed });
      setRun(runFunction);
      props.onRan();
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="run-now" aria-labelledby="run-now-title">
      <h2 id="run-now-title">Run now</h2>
      {props.dirty && <p class="hint">Runs the saved code: save your changes first to run them.</p>}
      <TextArea
        label="Input (JSON, optional)"
        name="runInput"
        rows={2}
        value={input}
        onInput={setInput}
        hint="Given to the function as ctx.input"
        error={errors.fields.input}
      />
      {errors.general && (
        <p class="banner banner-error" role="alert">
          {errors.general}
        </p>
      )}
      <button type="button" class="primary" disabled={busy} onClick={start}>
        {busy ? "Running…" : "Run now"}
      </button>
      {run && (
        <div class="run-result" data-testid="run-result" aria-live="polite">
          <p>
            <Badge tone={runTone(run.status)}>{run.status}</Badge> in {run.durationMs ?? "?"} ms
          </p>
          <h3>Result</h3>
          <pre data-testid="run-output">{formatJson(run.result ?? null)}</pre>
          <h3>Logs</h3>
          <pre data-testid="run-logs">{run.logs || "(no output)"}</pre>
          {run.error && (
            <>
              <h3>Error</h3>
              <pre class="error-text" data-testid="run-error">
                {run.error}
              </pre>
            </>
          )}
        </div>
      )}
    </section>
  );
}

export function useRuns(functionId: string) {
  const [extra, setExtra] = useState<FunctionRun[]>([]);
  const [more, setMore] = useState<{ hasNextPage: boolean; endCursor: string | null }>({
    hasNextPage: false,
    endCursor: null,
  });
  const first = useQuery(
    async () => (await request(FunctionRuns, { functionId, first: PAGE_SIZE })).functionRuns,
    [functionId],
  );
  useEffect(() => {
    if (!first.data) return;
    setExtra([]);
    setMore({ hasNextPage: first.data.hasNextPage, endCursor: first.data.endCursor });
  }, [first.data]);
  const loadMore = async () => {
    if (!more.endCursor) return;
    const page = (await request(FunctionRuns, { functionId, first: PAGE_SIZE, before: more.endCursor }))
      .functionRuns;
    setExtra((current) => [...current, ...page.nodes]);
    setMore({ hasNextPage: page.hasNextPage, endCursor: page.endCursor });
  };
  return {
    ...first,
    nodes: first.data ? [...first.data.nodes, ...extra] : undefined,
    hasNextPage: more.hasNextPage,
    loadMore,
  };
}

/** The function's runs, newest first, each with its logs; older pages on request. */
export function RunHistory({ runs }: { runs: ReturnType<typeof useRuns> }) {
  if (runs.error) return <ErrorBanner error={runs.error} onRetry={runs.reload} />;
  if (!runs.nodes) return <Loading what="runs" />;
  if (runs.nodes.length === 0) return <Empty>No runs yet.</Empty>;
  return (
    <>
      <DataTable<FunctionRun>
        caption="Run history"
        testId="run-history"
        rows={runs.nodes}
        rowKey={(run) => run.id}
        columns={[
          { header: "Started", cell: (run) => formatDateTime(run.startedAt) },
          { header: "Trigger", cell: (run) => run.trigger },
          { header: "Status", cell: (run) => <Badge tone={runTone(run.status)}>{run.status}</Badge> },
          {
            header: "Duration",
            numeric: true,
            cell: (run) => (run.durationMs === null ? "—" : `${run.durationMs} ms`),
          },
          {
            header: "Logs and error",
            cell: (run) =>
              run.logs || run.error ? (
                <details>
                  <summary>Show</summary>
                  {run.logs && <pre>{run.logs}</pre>}
                  {run.error && <pre class="error-text">{run.error}</pre>}
                </details>
              ) : (
                <span class="muted">—</span>
              ),
          },
        ]}
      />
      {runs.hasNextPage && (
        <button type="button" onClick={() => void runs.loadMore()}>
          Older runs
        </button>
      )}
    </>
  );
}
