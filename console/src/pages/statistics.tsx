import { useMemo, useState } from "preact/hooks";
import { request } from "../api/client";
import { ApiKeys, ApiStatistics, Users } from "../api/operations";
import { CALL_TYPES, type CallType, RESOLUTIONS, type Resolution, type StatisticsBucket } from "../api/types";
import { CallsChart } from "../components/calls-chart";
import { DataTable } from "../components/data-table";
import { CheckboxGroup, SelectField, TextField } from "../components/field";
import { Empty, ErrorBanner, Loading } from "../components/status";
import { useFieldErrors } from "../lib/field-errors";
import { formatDateTime, fromLocalInput, toLocalInput } from "../lib/format";
import { keyLabel } from "../lib/labels";
import { bucketAxis, type CsvRow, chartData, toCsv } from "../lib/statistics";
import { useQuery } from "../lib/use-query";
import type { PageProps } from "../routes";

const HOUR = 3_600_000;

type Filters = {
  types: CallType[];
  from: string;
  until: string;
  resolution: Resolution;
  apiKeyIds: string[];
};

/** The last 24 hours, hourly, every type and key: until the end of the current hour. */
function defaultFilters(): Filters {
  const until = Math.ceil(Date.now() / HOUR) * HOUR;
  return {
    types: [],
    from: toLocalInput(new Date(until - 24 * HOUR).toISOString()),
    until: toLocalInput(new Date(until).toISOString()),
    resolution: "HOUR",
    apiKeyIds: [],
  };
}

export function StatisticsPage(_props: PageProps) {
  const [draft, setDraft] = useState<Filters>(defaultFilters);
  const [applied, setApplied] = useState<Filters>(draft);
  const errors = useFieldErrors(["from", "until", "resolution", "types", "apiKeyIds"]);
  const change = <K extends keyof Filters>(field: K, value: Filters[K]) =>
    setDraft((current) => ({ ...current, [field]: value }));

  const names = useQuery(async () => {
    const [keys, users] = await Promise.all([request(ApiKeys), request(Users).catch(() => ({ users: [] }))]);
    return { keys: keys.apiKeys, users: users.users };
  }, []);

  const stats = useQuery(async () => {
    const from = fromLocalInput(applied.from);
    const until = fromLocalInput(applied.until);
    if (!from || !until) return undefined;
    try {
      const { apiStatistics } = await request(ApiStatistics, {
        from,
        until,
        resolution: applied.resolution,
        ...(applied.types.length > 0 && { types: applied.types }),
        ...(applied.apiKeyIds.length > 0 && { apiKeyIds: applied.apiKeyIds }),
      });
      errors.clear();
      return { buckets: apiStatistics, from: Date.parse(from), until: Date.parse(until) };
    } catch (error) {
      errors.show(error);
      throw error;
    }
  }, [applied]);

  const callerName = (bucket: StatisticsBucket): string => {
    if (bucket.apiKeyId) {
      const key = names.data?.keys.find((item) => item.id === bucket.apiKeyId);
      return `Key ${keyLabel(key, bucket.apiKeyId)}`;
    }
    const user = names.data?.users.find((item) => item.id === bucket.userId);
    return `User ${user?.email ?? bucket.userId ?? "?"}`;
  };

  const shownTypes =
    applied.types.length > 0 ? CALL_TYPES.filter((type) => applied.types.includes(type)) : CALL_TYPES;
  const chart = useMemo(() => {
    if (!stats.data) return undefined;
    const axis = bucketAxis(stats.data.from, stats.data.until, applied.resolution);
    return chartData(stats.data.buckets, shownTypes, axis);
  }, [stats.data, shownTypes.join()]);

  const rows: (CsvRow & { id: string })[] = (stats.data?.buckets ?? []).map((bucket) => ({
    id: `${bucket.start}/${bucket.type}/${bucket.apiKeyId ?? bucket.userId}`,
    start: bucket.start,
    type: bucket.type,
    caller: callerName(bucket),
    calls: bucket.calls,
    clientErrors: bucket.clientErrors,
    serverErrors: bucket.serverErrors,
  }));

  const download = () => {
    const blob = new Blob([toCsv(rows)], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = `visit-api-statistics-${applied.resolution.toLowerCase()}-${applied.from.replace(/[:T]/g, "")}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
  };

  const apply = (event: Event) => {
    event.preventDefault();
    errors.clear();
    if (!fromLocalInput(draft.from)) return errors.set("from", "Enter a date and time");
    if (!fromLocalInput(draft.until)) return errors.set("until", "Enter a date and time");
    setApplied({ ...draft });
  };

  const total = rows.reduce((sum, row) => sum + row.calls, 0);
  const totalErrors = rows.reduce((sum, row) => sum + row.clientErrors + row.serverErrors, 0);

  return (
    <section class="page" aria-labelledby="stats-title">
      <div class="page-header">
        <h1 id="stats-title">Statistics</h1>
        <button type="button" onClick={download} disabled={!stats.data || rows.length === 0}>
          Download CSV
        </button>
      </div>
      <form class="filters" onSubmit={apply} aria-label="Filters">
        <CheckboxGroup<CallType>
          legend="Type"
          options={CALL_TYPES.map((type) => ({ value: type, label: type }))}
          selected={draft.types}
          onChange={(value) => change("types", value)}
          hint="None selected: every type"
          error={errors.fields.types}
        />
        <TextField
          label="From"
          name="from"
          type="datetime-local"
          value={draft.from}
          onInput={(value) => change("from", value)}
          error={errors.fields.from}
        />
        <TextField
          label="Until"
          name="until"
          type="datetime-local"
          value={draft.until}
          onInput={(value) => change("until", value)}
          error={errors.fields.until}
        />
        <SelectField<Resolution>
          label="Resolution"
          name="resolution"
          value={draft.resolution}
          options={RESOLUTIONS.map((value) => ({
            value,
            label: value.charAt(0) + value.slice(1).toLowerCase(),
          }))}
          onChange={(value) => change("resolution", value)}
          error={errors.fields.resolution}
        />
        <CheckboxGroup<string>
          legend="API keys"
          options={(names.data?.keys ?? []).map((key) => ({
            value: key.id,
            label: keyLabel(key, key.id),
          }))}
          selected={draft.apiKeyIds}
          onChange={(value) => change("apiKeyIds", value)}
          hint="None selected: every key and user"
          error={errors.fields.apiKeyIds}
        />
        <div class="actions start">
          <button type="submit" class="primary">
            Show
          </button>
          <button
            type="button"
            onClick={() => {
              const reset = defaultFilters();
              setDraft(reset);
              setApplied(reset);
            }}
          >
            Last 24 hours
          </button>
        </div>
      </form>

      {stats.error ? (
        Object.keys(errors.fields).length > 0 ? (
          <p class="banner banner-error" role="alert">
            Check the filters: {Object.values(errors.fields).join("; ")}
          </p>
        ) : (
          <ErrorBanner error={stats.error} onRetry={stats.reload} />
        )
      ) : !stats.data || !chart ? (
        <Loading what="statistics" />
      ) : (
        <>
          <p class="summary" role="status">
            {total} {total === 1 ? "call" : "calls"}, {totalErrors} {totalErrors === 1 ? "error" : "errors"},{" "}
            {formatDateTime(new Date(stats.data.from).toISOString())} to{" "}
            {formatDateTime(new Date(stats.data.until).toISOString())}
            {stats.loading && " (updating…)"}
          </p>
          <CallsChart data={chart} resolution={applied.resolution} title="Calls over time by type" />
          {rows.length === 0 ? (
            <Empty>No calls in this period with these filters.</Empty>
          ) : (
            <DataTable<(typeof rows)[number]>
              caption="Calls per bucket"
              testId="statistics-table"
              rows={rows}
              rowKey={(row) => row.id}
              columns={[
                {
                  header: "Start",
                  cell: (row) => <time dateTime={row.start}>{formatDateTime(row.start)}</time>,
                },
                { header: "Type", cell: (row) => row.type },
                { header: "Caller", cell: (row) => row.caller },
                { header: "Calls", numeric: true, cell: (row) => row.calls },
                { header: "Client errors", numeric: true, cell: (row) => row.clientErrors },
                { header: "Server errors", numeric: true, cell: (row) => row.serverErrors },
              ]}
            />
          )}
        </>
      )}
    </section>
  );
}
