/** What one audit entry changed, field by field ("—" when nothing did): keys' and webhooks' logs alike. */
export function AuditChanges({ changes }: { changes: Record<string, { from: unknown; to: unknown }> }) {
  const fields = Object.entries(changes);
  if (fields.length === 0) return <>—</>;
  return (
    <ul class="changes">
      {fields.map(([field, change]) => (
        <li key={field}>
          <strong>{field}</strong>: {show(change.from)} → {show(change.to)}
        </li>
      ))}
    </ul>
  );
}

const show = (value: unknown): string =>
  value === null || value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value);
