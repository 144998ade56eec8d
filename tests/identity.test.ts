import { must } from "./support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createEvent, failure, userWithRoles } from "./support/factories.js";
import { startApp, type TestApp } from "./support/harness.js";

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

type UserData = { id: string; email: string; name: string; roles: string[]; createdAt: string };

const LOGIN = `mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt user { id email name roles } }
}`;
const ME = "{ me { id email name roles } }";
const LOGOUT = "mutation { logout }";
const USERS = "{ users { id email name roles } }";
const CREATE_USER =
  "mutation($input: CreateUserInput!) { createUser(input: $input) { id email name roles createdAt } }";
const UPDATE_USER =
  "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id email name roles } }";
const DELETE_USER = "mutation($id: ID!) { deleteUser(id: $id) { id email } }";
const CREATE_ORGANISATION = `mutation($input: CreateOrganisationInput!) {
  createOrganisation(input: $input) { organisation { id name createdAt } admin { id email roles } }
}`;
const CREATE_VISITOR = `mutation($eventId: ID!) { createVisitor(eventId: $eventId, input: {}) { id } }`;

const unique = () => randomBytes(4).toString("hex");
const newEmail = () => `person.${unique()}@example.test`;

async function createUser(roles: string[], input: Record<string, unknown> = {}): Promise<UserData> {
  const data = await t.ok<{ createUser: UserData }>(CREATE_USER, {
    input: { email: newEmail(), name: "Some One", password: "password-123", roles, ...input },
  });
  return data.createUser;
}

async function userEmails(): Promise<string[]> {
  return (await t.ok<{ users: UserData[] }>(USERS)).users.map((user) => user.email);
}

describe("identity", () => {
  describe("login", () => {
    it("returns a session token and the user for the right password", async () => {
      const result = await t.gql<{
        login: { token: string; expiresAt: string; user: { email: string; roles: string[] } };
      }>(LOGIN, { email: t.admin.email, password: t.admin.password }, { as: null });
      assert.equal(result.status, 200);
      const session = must(result.data, "result.data").login;
      assert.match(session.token, /^vs_[A-Za-z0-9_-]{40,}$/);
      assert.ok(new Date(session.expiresAt).getTime() > Date.now());
      assert.deepEqual(session.user.roles, ["ADMIN"]);
      assert.equal(session.user.email, t.admin.email);
    });

    it("ignores the case and surrounding spaces of the email", async () => {
      const token = await t.login(`  ${t.admin.email.toUpperCase()} `, t.admin.password);
      const me = await t.ok<{ me: UserData }>(ME, {}, { as: token });
      assert.equal(me.me.email, t.admin.email);
    });

    it("refuses a wrong password with 401 INVALID_CREDENTIALS, and an unknown email with the same message", async () => {
      const wrong = await t.gql(LOGIN, { email: t.admin.email, password: "not-the-password" }, { as: null });
      assert.deepEqual(failure(wrong), {
        status: 401,
        code: "UNAUTHENTICATED",
        reason: "INVALID_CREDENTIALS",
        fields: [],
        data: null,
      });
      const unknown = await t.gql(
        LOGIN,
        { email: "nobody@example.test", password: "whatever-1" },
        { as: null },
      );
      assert.deepEqual(failure(unknown), failure(wrong));
      assert.equal(unknown.errors?.[0]?.message, wrong.errors?.[0]?.message);
    });
  });

  describe("sessions", () => {
    it("tells the logged-in user who they are", async () => {
      const me = await t.ok<{ me: UserData }>(ME);
      assert.equal(me.me.email, t.admin.email);
      assert.equal(me.me.name, "Administrator");
      assert.deepEqual(me.me.roles, ["ADMIN"]);
    });

    it("ends the session on logout: the token then answers 401 INVALID_SESSION, other sessions live on", async () => {
      const token = await t.login(t.admin.email, t.admin.password);
      const other = await t.login(t.admin.email, t.admin.password);
      const out = await t.ok<{ logout: boolean }>(LOGOUT, {}, { as: token });
      assert.equal(out.logout, true);
      for (const query of [ME, "{ events { id } }", LOGOUT]) {
        const result = await t.gql(query, {}, { as: token });
        assert.deepEqual(
          [result.status, failure(result).code, failure(result).reason],
          [401, "UNAUTHENTICATED", "INVALID_SESSION"],
        );
      }
      await t.ok(ME, {}, { as: other });
    });

    it("refuses an unknown or tampered vs_ token with 401 INVALID_SESSION", async () => {
      const token = await t.login(t.admin.email, t.admin.password);
      for (const bad of ["vs_unknown", `${token}x`, `vs_${"A".repeat(43)}`]) {
        const result = await t.gql(ME, {}, { as: bad });
        assert.deepEqual([result.status, failure(result).reason], [401, "INVALID_SESSION"], bad);
      }
    });

    it("refuses a malformed Authorization header with 401 MALFORMED_CREDENTIALS", async () => {
      for (const authorization of ["Bearer", "Token abc", "Bearer a b", "Basic Og=="]) {
        const result = await t.gql(ME, {}, { as: { headers: { authorization } } });
        assert.deepEqual(
          [result.status, failure(result).code, failure(result).reason],
          [401, "UNAUTHENTICATED", "MALFORMED_CREDENTIALS"],
          authorization,
        );
      }
    });

    it("refuses `me` without credentials with 401 MISSING_CREDENTIALS", async () => {
      const result = await t.gql(ME, {}, { as: null });
      assert.deepEqual([result.status, failure(result).reason], [401, "MISSING_CREDENTIALS"]);
    });
  });

  describe("users", () => {
    it("creates a user who can log in, with a lower-cased email and de-duplicated roles", async () => {
      const email = `New.Person.${unique()}@Example.TEST`;
      const created = await createUser(["DATA_MANAGEMENT", "DATA_MANAGEMENT"], { email, name: "New Person" });
      assert.equal(created.email, email.toLowerCase());
      assert.deepEqual(created.roles, ["DATA_MANAGEMENT"]);
      assert.match(created.id, /^[a-z0-9]{20}$/);
      const token = await t.login(email, "password-123");
      const me = await t.ok<{ me: UserData }>(ME, {}, { as: token });
      assert.deepEqual(me.me, {
        id: created.id,
        email: created.email,
        name: "New Person",
        roles: ["DATA_MANAGEMENT"],
      });
      assert.ok((await userEmails()).includes(created.email));
    });

    it("lists the organisation's users by email", async () => {
      await createUser(["DATA_MANAGEMENT"], { email: `zz.${unique()}@example.test` });
      await createUser(["DATA_MANAGEMENT"], { email: `aa.${unique()}@example.test` });
      const emails = await userEmails();
      assert.deepEqual([...emails].sort(), emails);
      assert.ok(emails.includes(t.admin.email));
    });

    it("names every invalid field of a new user and creates nothing", async () => {
      const before = await userEmails();
      const result = await t.gql(CREATE_USER, {
        input: { email: "not-an-email", name: " ", password: "short", roles: [] },
      });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["email", "name", "password", "roles"]);
      assert.deepEqual(await userEmails(), before);
    });

    it("refuses a duplicate email, whatever its case, with 409 CONFLICT", async () => {
      const user = await createUser(["DATA_MANAGEMENT"]);
      const result = await t.gql(CREATE_USER, {
        input: { email: user.email.toUpperCase(), name: "Twin", password: "password-123", roles: ["ADMIN"] },
      });
      assert.deepEqual([result.status, failure(result).code], [409, "CONFLICT"]);
      assert.equal((await userEmails()).filter((email) => email === user.email).length, 1);
    });

    it("answers 409 CONFLICT, not an internal error, when the same email is created concurrently", async () => {
      const input = {
        email: newEmail(),
        name: "Racer",
        password: "password-123",
        roles: ["DATA_MANAGEMENT"],
      };
      const results = await Promise.all([1, 2, 3].map(() => t.gql(CREATE_USER, { input })));
      const statuses = results.map((result) => result.status).sort();
      assert.deepEqual(statuses, [200, 409, 409]);
      assert.equal((await userEmails()).filter((email) => email === input.email).length, 1);
    });

    it("updates name and roles; the new roles apply to existing sessions at once", async () => {
      const user = await createUser(["USER_ACCOUNT_MANAGEMENT"]);
      const token = await t.login(user.email, "password-123");
      const event = await createEvent(t);
      const before = await t.gql(CREATE_VISITOR, { eventId: event.id }, { as: token });
      assert.equal(before.status, 403);

      const updated = await t.ok<{ updateUser: UserData }>(UPDATE_USER, {
        id: user.id,
        input: { name: "Renamed", roles: ["DATA_MANAGEMENT"] },
      });
      assert.deepEqual(updated.updateUser, {
        id: user.id,
        email: user.email,
        name: "Renamed",
        roles: ["DATA_MANAGEMENT"],
      });
      await t.ok(CREATE_VISITOR, { eventId: event.id }, { as: token });
      const users = await t.gql(USERS, {}, { as: token });
      assert.deepEqual([users.status, failure(users).reason], [403, "MISSING_ROLE"]);
    });

    it("changes a password: the old one stops working and so do the user's sessions", async () => {
      const user = await createUser(["DATA_MANAGEMENT"]);
      const token = await t.login(user.email, "password-123");
      await t.ok(UPDATE_USER, { id: user.id, input: { password: "new-password-456" } });

      const oldSession = await t.gql(USERS, {}, { as: token });
      assert.deepEqual([oldSession.status, failure(oldSession).reason], [401, "INVALID_SESSION"]);
      const oldPassword = await t.gql(LOGIN, { email: user.email, password: "password-123" }, { as: null });
      assert.equal(failure(oldPassword).reason, "INVALID_CREDENTIALS");
      await t.login(user.email, "new-password-456");
    });

    it("keeps the session that changes its own password, and ends the user's others", async () => {
      const user = await createUser(["USER_ACCOUNT_MANAGEMENT"]);
      const current = await t.login(user.email, "password-123");
      const other = await t.login(user.email, "password-123");
      await t.ok(UPDATE_USER, { id: user.id, input: { password: "new-password-456" } }, { as: current });
      await t.ok(USERS, {}, { as: current });
      assert.equal(failure(await t.gql(USERS, {}, { as: other })).reason, "INVALID_SESSION");
    });

    it("lets only an ADMIN grant ADMIN or change an ADMIN", async () => {
      const manager = await createUser(["USER_ACCOUNT_MANAGEMENT"]);
      const token = await t.login(manager.email, "password-123");
      const selfPromotion = await t.gql(
        UPDATE_USER,
        { id: manager.id, input: { roles: ["ADMIN"] } },
        { as: token },
      );
      assert.deepEqual([selfPromotion.status, failure(selfPromotion).reason], [403, "MISSING_ROLE"]);
      const newAdmin = await t.gql(
        CREATE_USER,
        {
          input: {
            email: `admin.${manager.id}@example.test`,
            name: "X",
            password: "password-123",
            roles: ["ADMIN"],
          },
        },
        { as: token },
      );
      assert.deepEqual([newAdmin.status, failure(newAdmin).reason], [403, "MISSING_ROLE"]);
      const admins = (await t.ok<{ users: UserData[] }>(USERS)).users.filter((entry) =>
        entry.roles.includes("ADMIN"),
      );
      const resetAdmin = await t.gql(
        UPDATE_USER,
        { id: admins[0].id, input: { password: "taken-over-1" } },
        { as: token },
      );
      assert.deepEqual([resetAdmin.status, failure(resetAdmin).reason], [403, "MISSING_ROLE"]);
      const removeAdmin = await t.gql(DELETE_USER, { id: admins[0].id }, { as: token });
      assert.deepEqual([removeAdmin.status, failure(removeAdmin).reason], [403, "MISSING_ROLE"]);
      const granted = await t.ok<{ updateUser: UserData }>(UPDATE_USER, {
        id: manager.id,
        input: { roles: ["ADMIN"] },
      });
      assert.deepEqual(granted.updateUser.roles, ["ADMIN"]);
    });

    it("names invalid update fields and keeps the user unchanged", async () => {
      const user = await createUser(["DATA_MANAGEMENT"]);
      const result = await t.gql(UPDATE_USER, { id: user.id, input: { name: "", roles: [], password: "x" } });
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["name", "password", "roles"]);
      const listed = (await t.ok<{ users: UserData[] }>(USERS)).users.find((entry) => entry.id === user.id);
      assert.deepEqual(listed, { id: user.id, email: user.email, name: user.name, roles: user.roles });
      await t.login(user.email, "password-123");
    });

    it("deletes a user, whose sessions then stop working", async () => {
      const user = await createUser(["DATA_MANAGEMENT"]);
      const token = await t.login(user.email, "password-123");
      const deleted = await t.ok<{ deleteUser: { id: string; email: string } }>(DELETE_USER, { id: user.id });
      assert.deepEqual(deleted.deleteUser, { id: user.id, email: user.email });
      assert.ok(!(await userEmails()).includes(user.email));
      const me = await t.gql(ME, {}, { as: token });
      assert.deepEqual([me.status, failure(me).reason], [401, "INVALID_SESSION"]);
      const login = await t.gql(LOGIN, { email: user.email, password: "password-123" }, { as: null });
      assert.equal(failure(login).reason, "INVALID_CREDENTIALS");
    });

    it("deactivates a user: sessions end, log-in is refused with USER_DEACTIVATED, the user stays listed", async () => {
      const user = await createUser(["DATA_MANAGEMENT"]);
      const token = await t.login(user.email, "password-123");
      const ACTIVE = `mutation($id: ID!, $active: Boolean!) { updateUser(id: $id, input: { active: $active }) { id active } }`;
      const off = await t.ok<{ updateUser: { active: boolean } }>(ACTIVE, { id: user.id, active: false });
      assert.equal(off.updateUser.active, false);
      const me = await t.gql(ME, {}, { as: token });
      assert.deepEqual([me.status, failure(me).reason], [401, "INVALID_SESSION"]);
      const refused = await t.gql(LOGIN, { email: user.email, password: "password-123" }, { as: null });
      assert.deepEqual([refused.status, failure(refused).reason], [401, "USER_DEACTIVATED"]);
      const wrong = await t.gql(LOGIN, { email: user.email, password: "wrong-password" }, { as: null });
      assert.equal(
        failure(wrong).reason,
        "INVALID_CREDENTIALS",
        "a wrong password does not reveal the state",
      );
      const listed = await t.ok<{ users: { id: string; active: boolean }[] }>("{ users { id active } }");
      assert.deepEqual(
        listed.users.find((entry) => entry.id === user.id),
        { id: user.id, active: false },
      );

      await t.ok(ACTIVE, { id: user.id, active: true });
      const again = await t.login(user.email, "password-123");
      assert.equal((await t.ok<{ me: UserData }>(ME, {}, { as: again })).me.id, user.id);
    });

    it("refuses to let users deactivate themselves (409), and account managers to deactivate an ADMIN (403)", async () => {
      const me = await t.ok<{ me: UserData }>(ME);
      const self = await t.gql(UPDATE_USER, { id: me.me.id, input: { active: false } });
      assert.deepEqual([self.status, failure(self).code], [409, "CONFLICT"]);
      const manager = await createUser(["USER_ACCOUNT_MANAGEMENT"]);
      const managerToken = await t.login(manager.email, "password-123");
      const admin = await t.gql(
        UPDATE_USER,
        { id: me.me.id, input: { active: false } },
        { as: managerToken },
      );
      assert.deepEqual([admin.status, failure(admin).reason], [403, "MISSING_ROLE"]);
      await t.ok(ME);
    });

    it("answers NOT_FOUND for updating or deleting an unknown user", async () => {
      const update = await t.gql(UPDATE_USER, { id: "nosuchuser", input: { name: "X" } });
      assert.deepEqual([update.status, failure(update).code], [404, "NOT_FOUND"]);
      const remove = await t.gql(DELETE_USER, { id: "nosuchuser" });
      assert.deepEqual([remove.status, failure(remove).code], [404, "NOT_FOUND"]);
    });

    it("refuses to let users delete themselves (409)", async () => {
      const me = await t.ok<{ me: UserData }>(ME);
      const result = await t.gql(DELETE_USER, { id: me.me.id });
      assert.deepEqual([result.status, failure(result).code], [409, "CONFLICT"]);
      await t.ok(ME);
    });
  });

  describe("roles", () => {
    it("lets a USER_ACCOUNT_MANAGEMENT user manage users", async () => {
      const token = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
      const created = await t.ok<{ createUser: UserData }>(
        CREATE_USER,
        {
          input: {
            email: newEmail(),
            name: "By manager",
            password: "password-123",
            roles: ["DATA_MANAGEMENT"],
          },
        },
        { as: token },
      );
      await t.ok(
        UPDATE_USER,
        { id: created.createUser.id, input: { name: "Still by manager" } },
        { as: token },
      );
      const listed = await t.ok<{ users: UserData[] }>(USERS, {}, { as: token });
      assert.ok(listed.users.some((user) => user.id === created.createUser.id));
      await t.ok(DELETE_USER, { id: created.createUser.id }, { as: token });
    });

    it("refuses users, createUser, updateUser and deleteUser to a DATA_MANAGEMENT user with 403 MISSING_ROLE", async () => {
      const token = await userWithRoles(t, ["DATA_MANAGEMENT"]);
      const victim = await createUser(["DATA_MANAGEMENT"]);
      const attempts: [string, Record<string, unknown>][] = [
        [USERS, {}],
        [
          CREATE_USER,
          { input: { email: newEmail(), name: "X", password: "password-123", roles: ["ADMIN"] } },
        ],
        [UPDATE_USER, { id: victim.id, input: { roles: ["ADMIN"] } }],
        [DELETE_USER, { id: victim.id }],
      ];
      for (const [query, variables] of attempts) {
        const result = await t.gql(query, variables, { as: token });
        assert.deepEqual(
          [result.status, failure(result).code, failure(result).reason],
          [403, "FORBIDDEN", "MISSING_ROLE"],
          query,
        );
      }
      const listed = (await t.ok<{ users: UserData[] }>(USERS)).users.find((user) => user.id === victim.id);
      assert.deepEqual(listed?.roles, ["DATA_MANAGEMENT"]);
    });

    it("refuses visitors to a USER_ACCOUNT_MANAGEMENT-only user with 403 MISSING_ROLE", async () => {
      const token = await userWithRoles(t, ["USER_ACCOUNT_MANAGEMENT"]);
      const event = await createEvent(t);
      const result = await t.gql(CREATE_VISITOR, { eventId: event.id }, { as: token });
      assert.deepEqual(
        [result.status, failure(result).code, failure(result).reason],
        [403, "FORBIDDEN", "MISSING_ROLE"],
      );
      const read = await t.gql(
        "query($eventId: ID!) { visitors(eventId: $eventId) { edges { cursor } } }",
        { eventId: event.id },
        { as: token },
      );
      assert.deepEqual([read.status, failure(read).reason], [403, "MISSING_ROLE"]);
    });
  });

  describe("organisations", () => {
    const organisationInput = () => ({
      name: `Org ${unique()}`,
      adminEmail: `boss.${unique()}@org.test`,
      adminPassword: "boss-password-1",
    });

    it("lets the operator create an organisation whose admin can log in and starts empty", async () => {
      const input = organisationInput();
      const created = await t.ok<{
        createOrganisation: { organisation: { id: string; name: string }; admin: UserData };
      }>(CREATE_ORGANISATION, { input }, { as: t.operatorToken });
      assert.equal(created.createOrganisation.organisation.name, input.name);
      assert.deepEqual(created.createOrganisation.admin.roles, ["ADMIN"]);
      assert.equal(created.createOrganisation.admin.email, input.adminEmail);

      await createEvent(t);
      const token = await t.login(input.adminEmail, input.adminPassword);
      const events = await t.ok<{ events: unknown[] }>("{ events { id } }", {}, { as: token });
      assert.deepEqual(events.events, []);
      const users = await t.ok<{ users: UserData[] }>(USERS, {}, { as: token });
      assert.deepEqual(
        users.users.map((user) => user.email),
        [input.adminEmail],
      );
    });

    it("refuses createOrganisation to an organisation admin with 403 OPERATOR_ONLY", async () => {
      const input = organisationInput();
      const result = await t.gql(CREATE_ORGANISATION, { input });
      assert.deepEqual(
        [result.status, failure(result).code, failure(result).reason],
        [403, "FORBIDDEN", "OPERATOR_ONLY"],
      );
      const login = await t.gql(
        LOGIN,
        { email: input.adminEmail, password: input.adminPassword },
        { as: null },
      );
      assert.equal(failure(login).reason, "INVALID_CREDENTIALS");
    });

    it("refuses createOrganisation without credentials with 401 MISSING_CREDENTIALS", async () => {
      const result = await t.gql(CREATE_ORGANISATION, { input: organisationInput() }, { as: null });
      assert.deepEqual(
        [result.status, failure(result).code, failure(result).reason],
        [401, "UNAUTHENTICATED", "MISSING_CREDENTIALS"],
      );
    });

    it("treats a wrong operator token as an unknown API key (401)", async () => {
      const result = await t.gql(
        CREATE_ORGANISATION,
        { input: organisationInput() },
        { as: `${t.operatorToken}0` },
      );
      assert.deepEqual([result.status, failure(result).code], [401, "UNAUTHENTICATED"]);
    });

    it("names the invalid fields of a new organisation by their input names", async () => {
      const result = await t.gql(
        CREATE_ORGANISATION,
        { input: { name: "", adminEmail: "nope", adminPassword: "short" } },
        { as: t.operatorToken },
      );
      assert.equal(result.status, 422);
      assert.deepEqual(failure(result).fields, ["adminEmail", "adminPassword", "name"]);
    });

    it("refuses an admin email that is already taken with 409 CONFLICT", async () => {
      const result = await t.gql(
        CREATE_ORGANISATION,
        { input: { ...organisationInput(), adminEmail: t.admin.email } },
        { as: t.operatorToken },
      );
      assert.deepEqual([result.status, failure(result).code], [409, "CONFLICT"]);
    });

    it("does not let the operator token read or write organisation data", async () => {
      const event = await createEvent(t);
      const attempts: [string, Record<string, unknown>][] = [
        ["{ events { id } }", {}],
        ["query($id: ID!) { event(id: $id) { id } }", { id: event.id }],
        ["query($eventId: ID!) { visitors(eventId: $eventId) { edges { cursor } } }", { eventId: event.id }],
        [ME, {}],
        [USERS, {}],
        [CREATE_VISITOR, { eventId: event.id }],
        [
          CREATE_USER,
          { input: { email: newEmail(), name: "X", password: "password-123", roles: ["ADMIN"] } },
        ],
      ];
      for (const [query, variables] of attempts) {
        const result = await t.gql(query, variables, { as: t.operatorToken });
        assert.deepEqual([result.status, failure(result).code], [403, "FORBIDDEN"], query);
        assert.equal(result.data ?? null, null);
      }
    });
  });
});
