import { useState } from "preact/hooks";
import { request } from "../api/client";
import { Login } from "../api/operations";
import type { Session } from "../api/types";
import { TextField } from "../components/field";
import { useFieldErrors } from "../lib/field-errors";

export function SignInPage(props: { notice?: string; onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const errors = useFieldErrors(["email", "password"]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      const { login } = await request(Login, { email, password });
      props.onSignedIn(login);
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to the Visit API console</h1>
        {props.notice && (
          <p class="banner banner-info" role="status">
            {props.notice}
          </p>
        )}
        {errors.general && (
          <p class="banner banner-error" role="alert">
            {errors.general}
          </p>
        )}
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onInput={setEmail}
          error={errors.fields.email}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={setPassword}
          error={errors.fields.password}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
