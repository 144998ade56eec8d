import type { ComponentChildren } from "preact";
import { CopyButton } from "./copy-button";
import { Dialog } from "./dialog";

/**
 * A new secret (an API key, a webhook's signing secret): shown now and never again (the server
 * keeps only a hash, or keeps it sealed).
 */
export function SecretDialog({
  secret,
  onClose,
  title = "Your new API key",
  label = "API key",
  stored = "I have stored the key",
  children,
}: {
  secret: string;
  onClose: () => void;
  title?: string;
  label?: string;
  stored?: string;
  /** The warning; the API key's by default. */
  children?: ComponentChildren;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p class="banner banner-warn" role="note">
        {children ?? (
          <>
            Copy the key now and store it safely. It is shown only this once: the server keeps only a hash and
            cannot show it again. Lost it? Add a new key and delete this one.
          </>
        )}
      </p>
      <label class="secret-label" for="new-secret">
        {label}
      </label>
      <div class="secret-row">
        <input
          id="new-secret"
          class="secret"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={secret} />
      </div>
      <div class="actions">
        <button type="button" class="primary" onClick={onClose}>
          {stored}
        </button>
      </div>
    </Dialog>
  );
}
