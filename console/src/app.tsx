import { useEffect, useState } from "preact/hooks";
import { onSessionRefused, request } from "./api/client";
import { Logout } from "./api/operations";
import { SignInPage } from "./pages/sign-in";
import { followLink, matchPath, navigate, usePath } from "./router";
import { allowedRoutes, ROUTES } from "./routes";
import { clearSession, loadSession, type StoredSession, saveSession } from "./session";

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function App() {
  const [session, setSession] = useState<StoredSession | undefined>(loadSession);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const path = usePath();

  useEffect(() => {
    onSessionRefused(() => {
      clearSession();
      setSession(undefined);
      setNotice("Your session has expired. Sign in again to continue.");
    });
  }, []);

  if (!session) {
    return (
      <SignInPage
        notice={notice}
        onSignedIn={(created) => {
          setNotice(undefined);
          setSession(saveSession(created));
        }}
      />
    );
  }

  const signOut = async () => {
    await request(Logout).catch(() => undefined);
    clearSession();
    setSession(undefined);
    setNotice("You have signed out.");
    navigate("/", { replace: true });
  };

  const allowed = allowedRoutes(session.user);
  const matched = ROUTES.map((route) => ({ route, params: matchPath(route.path, path) })).find(
    (candidate) => candidate.params,
  );
  const permitted = matched && allowed.includes(matched.route) ? matched : undefined;
  const Page = permitted?.route.page;

  if (path === "/" && allowed[0]) return <Redirect to={allowed[0].path} />;
  const section = permitted && `/${permitted.route.path.split("/")[1]}`;
  document.title = `${permitted?.route.title ?? "Visit API"} · Visit API console`;

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Visit API console</span>
        <span class="who" title={session.user.roles.join(", ")}>
          {session.user.email}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav class="nav" aria-label="Pages">
        <ul>
          {allowed
            .filter((route) => route.nav)
            .map((route) => (
              <li key={route.path}>
                <a
                  href={`/console${route.path}`}
                  aria-current={section === route.path ? "page" : undefined}
                  onClick={(event) => followLink(event, route.path)}
                >
                  {route.nav}
                </a>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        {Page && permitted ? (
          <Page user={session.user} params={permitted.params ?? {}} />
        ) : matched ? (
          <section class="page">
            <h1>Not available</h1>
            <p>Your roles do not give access to this page.</p>
          </section>
        ) : allowed.length === 0 ? (
          <section class="page">
            <h1>Nothing to manage here</h1>
            <p>
              The console manages API keys, functions, statistics and users (the ADMIN or
              USER_ACCOUNT_MANAGEMENT role) and webhooks (the DATA_MANAGEMENT role). Your roles (
              {session.user.roles.join(", ")}) work with the data through the API instead.
            </p>
          </section>
        ) : (
          <section class="page">
            <h1>Page not found</h1>
            <p>There is no page at this address.</p>
          </section>
        )}
      </main>
    </div>
  );
}
