import { CopyButton } from "./copy-button";
import { Dialog } from "./dialog";

/** The new key's secret: shown now and never again (the server keeps only its hash). */
export function SecretDialog({ secret, onClose }: { secret: string; onClose: () => void }) {
  return (
    <Dialog title="Your new API key" onClose={onClose}>
      <p class="banner banner-warn" role="note">
        Copy the key now and store it safely. It is shown only this once: the server keeps only a hash and
        cannot show it again. Lost it? Add a new key and delete this one.
      </p>
      <label class="secret-label" for="new-secret">
        API key
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
          I have stored the key
        </button>
      </div>
    </Dialog>
  );
}
