import { request } from "../api/client";
import { ApiKeyAuditLog } from "../api/operations";
import type { ApiKey } from "../api/types";
import { AuditLogDialog } from "./audit-log";

/** Who created, changed, disabled or deleted the key, newest first. */
export function ApiKeyAudit({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  return (
    <AuditLogDialog
      title={`Audit log of key ${apiKey.prefix}…`}
      testId="audit-log"
      load={() => request(ApiKeyAuditLog, { apiKeyId: apiKey.id, first: 200 }).then((r) => r.apiKeyAuditLog)}
      onClose={onClose}
    />
  );
}
