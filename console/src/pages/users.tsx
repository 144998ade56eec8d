import { useState } from "preact/hooks";
import { messageOf, request } from "../api/client";
import { CreateUser, UpdateUser, Users } from "../api/operations";
import { ROLES, type Role, type User } from "../api/types";
import { DataTable } from "../components/data-table";
import { ConfirmDialog, Dialog } from "../components/dialog";
import { CheckboxGroup, TextField } from "../components/field";
import { Badge, Empty, ErrorBanner, Loading } from "../components/status";
import { useFieldErrors } from "../lib/field-errors";
import { formatDateTime } from "../lib/format";
import { useQuery } from "../lib/use-query";
import type { PageProps } from "../routes";

const ROLE_LABELS: Record<Role, string> = {
  ADMIN: "Admin (everything)",
  USER_ACCOUNT_MANAGEMENT: "Account management (users, API keys, functions, statistics)",
  DATA_MANAGEMENT: "Data management (events, registration types, visitors, partners, webhooks)",
};
const roleOptions = (canGrantAdmin: boolean) =>
  ROLES.filter((role) => canGrantAdmin || role !== "ADMIN").map((role) => ({
    value: role,
    label: ROLE_LABELS[role],
  }));

type Open = { kind: "invite" } | { kind: "roles"; user: User } | { kind: "deactivate"; user: User };

export function UsersPage({ user: me }: PageProps) {
  const users = useQuery(async () => (await request(Users)).users, []);
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const isAdmin = me.roles.includes("ADMIN");

  const setActive = async (user: User, active: boolean) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await request(UpdateUser, { id: user.id, input: { active } });
      setOpen(undefined);
      await users.reload();
    } catch (error) {
      setActionError(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page" aria-labelledby="users-title">
      <div class="page-header">
        <h1 id="users-title">Users</h1>
        <button type="button" class="primary" onClick={() => setOpen({ kind: "invite" })}>
          + Invite
        </button>
      </div>
      <p class="lead">People who sign in to this organisation, and what their roles let them do.</p>
      {actionError && open?.kind !== "deactivate" && (
        <p class="banner banner-error" role="alert">
          {actionError}
        </p>
      )}
      {users.error ? (
        <ErrorBanner error={users.error} onRetry={users.reload} />
      ) : !users.data ? (
        <Loading what="users" />
      ) : users.data.length === 0 ? (
        <Empty>No users.</Empty>
      ) : (
        <DataTable<User>
          caption="Users"
          testId="users"
          rows={users.data}
          rowKey={(user) => user.id}
          columns={[
            { header: "Email", cell: (user) => user.email },
            { header: "Name", cell: (user) => user.name },
            { header: "Roles", cell: (user) => user.roles.join(", ") },
            {
              header: "Status",
              cell: (user) =>
                user.active ? <Badge tone="good">Active</Badge> : <Badge tone="neutral">Deactivated</Badge>,
            },
            { header: "Added", cell: (user) => formatDateTime(user.createdAt) },
            {
              header: "Actions",
              cell: (user) =>
                user.id === me.id ? (
                  <span class="muted">You</span>
                ) : (
                  <div class="row-actions">
                    <button type="button" onClick={() => setOpen({ kind: "roles", user })}>
                      Change roles<span class="visually-hidden"> of {user.email}</span>
                    </button>
                    {user.active ? (
                      <button
                        type="button"
                        class="danger"
                        onClick={() => {
                          setActionError(undefined);
                          setOpen({ kind: "deactivate", user });
                        }}
                      >
                        Deactivate<span class="visually-hidden"> {user.email}</span>
                      </button>
                    ) : (
                      <button type="button" disabled={busy} onClick={() => setActive(user, true)}>
                        Reactivate<span class="visually-hidden"> {user.email}</span>
                      </button>
                    )}
                  </div>
                ),
            },
          ]}
        />
      )}
      {open?.kind === "invite" && (
        <InviteDialog
          canGrantAdmin={isAdmin}
          onClose={() => setOpen(undefined)}
          onSaved={() => {
            setOpen(undefined);
            void users.reload();
          }}
        />
      )}
      {open?.kind === "roles" && (
        <RolesDialog
          user={open.user}
          canGrantAdmin={isAdmin}
          onClose={() => setOpen(undefined)}
          onSaved={() => {
            setOpen(undefined);
            void users.reload();
          }}
        />
      )}
      {open?.kind === "deactivate" && (
        <ConfirmDialog
          title="Deactivate this user?"
          message={`${open.user.email} is signed out everywhere and cannot sign in until reactivated.`}
          confirmLabel="Deactivate"
          busy={busy}
          error={actionError}
          onConfirm={() => setActive(open.user, false)}
          onClose={() => setOpen(undefined)}
        />
      )}
    </section>
  );
}

function InviteDialog(props: { canGrantAdmin: boolean; onClose: () => void; onSaved: () => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<Role[]>([]);
  const [busy, setBusy] = useState(false);
  const errors = useFieldErrors(["email", "name", "password", "roles"]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      await request(CreateUser, { input: { email, name, password, roles } });
      props.onSaved();
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Invite a user" onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        {errors.general && (
          <p class="banner banner-error" role="alert">
            {errors.general}
          </p>
        )}
        <TextField
          label="Email"
          name="email"
          type="email"
          value={email}
          onInput={setEmail}
          error={errors.fields.email}
        />
        <TextField label="Name" name="name" value={name} onInput={setName} error={errors.fields.name} />
        <TextField
          label="First password"
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onInput={setPassword}
          hint="At least 8 characters; give it to the person safely"
          error={errors.fields.password}
        />
        <CheckboxGroup<Role>
          legend="Roles"
          options={roleOptions(props.canGrantAdmin)}
          selected={roles}
          onChange={setRoles}
          error={errors.fields.roles}
        />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Inviting…" : "Invite"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RolesDialog(props: {
  user: User;
  canGrantAdmin: boolean;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [roles, setRoles] = useState<Role[]>(props.user.roles);
  const [busy, setBusy] = useState(false);
  const errors = useFieldErrors(["roles"]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    errors.clear();
    try {
      await request(UpdateUser, { id: props.user.id, input: { roles } });
      props.onSaved();
    } catch (error) {
      errors.show(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Roles of ${props.user.email}`} onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        {errors.general && (
          <p class="banner banner-error" role="alert">
            {errors.general}
          </p>
        )}
        <CheckboxGroup<Role>
          legend="Roles"
          options={roleOptions(props.canGrantAdmin || props.user.roles.includes("ADMIN"))}
          selected={roles}
          onChange={setRoles}
          error={errors.fields.roles}
        />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Saving…" : "Save roles"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
