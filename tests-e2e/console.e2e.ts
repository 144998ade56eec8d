import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createEvent, createVisitor } from "../tests/support/factories.js";
import { startApp, type TestApp, waitFor } from "../tests/support/harness.js";
import { Receiver } from "../tests/webhooks/support.js";

// SPEC section 11: what a person does in the console, in a real browser (the system's Chromium)
// against a real server on a fresh database. Each page is screenshotted into test-results/console.

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = join(process.cwd(), "test-results", "console");
const CODE = `export default async function (ctx) {
  console.log("hello from the console", ctx.input ? ctx.input.name : "nobody");
  if (ctx.input && ctx.input.fail) throw new Error("asked to fail");
  const result = await visit.graphql("{ events { id } }");
  return { greeting: "hi", events: result.data.events.length };
}
`;

// Run in the page, so written as source text: this file is compiled without the DOM's types.
const IN_BROWSER = {
  focusedName: "document.activeElement?.getAttribute('name')",
  storedSession: "sessionStorage.getItem('visit-console-session')",
  // The page's width and, to name them in a failure, the elements that stick out.
  pageWidth: `({
    width: document.documentElement.scrollWidth,
    wide: [...document.querySelectorAll("body *")]
      .filter((element) => element.getBoundingClientRect().right > innerWidth + 1)
      .slice(0, 3)
      .map((element) => element.tagName.toLowerCase() + "." + element.className),
  })`,
};

let t: TestApp;
let receiver: Receiver;
let context: BrowserContext;
let page: Page;
let profile: string;
const requests: string[] = [];
const pageErrors: string[] = [];
let eventId: string;
let key: { id: string; prefix: string; secret: string };

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** A step of the walk; a failed one leaves a picture of what the person saw, and where. */
function step(name: string, body: () => Promise<void> | void) {
  it(name, async () => {
    try {
      await body();
    } catch (error) {
      const file = `failed-${name.slice(0, 40).replace(/[^a-z0-9]+/gi, "-")}`;
      await shot(file).catch(() => undefined);
      throw new Error(
        `${(error as Error).message}\n(at ${page.url()}; see ${file}.png; page errors: ${pageErrors.join(" | ") || "none"})`,
        { cause: error },
      );
    }
  });
}

async function signIn(email: string, password: string) {
  await page.goto(`${t.url}/`);
  await page.getByRole("heading", { name: "Sign in to the Visit API console" }).waitFor();
  // By keyboard, as a person without a mouse would: the email field first, Tab, Enter submits.
  await page.getByLabel("Email").focus();
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(IN_BROWSER.focusedName), "password");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
}

async function openPage(name: string) {
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // Webhooks may reach the test's loopback receiver, and give up after two quick retries.
  receiver = await Receiver.start();
  t = await startApp({
    OUTBOUND_ALLOW: receiver.host,
    WEBHOOK_RETRY_DELAYS_MS: "50,50",
    WEBHOOK_MIN_INTERVAL_MS: "0",
    WEBHOOK_TIMEOUT_MS: "5000",
  });
  eventId = (await createEvent(t, undefined, { name: "Console Expo" })).id;
  profile = mkdtempSync(join(tmpdir(), "console-e2e-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  context.on("request", (request) => requests.push(request.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // The browser logs every 4xx answer (the walk provokes some on purpose); anything else is a defect.
  page.on("console", (message) => {
    if (
      message.type() === "error" &&
      !message.text().startsWith("Failed to load resource: the server responded")
    ) {
      pageErrors.push(message.text());
    }
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await t?.close();
  await receiver?.close();
});

describe("the admin console", () => {
  step("redirects / to /console and signs in with email and password", async () => {
    await signIn(t.admin.email, "wrong-password");
    await page.getByRole("alert").filter({ hasText: "Wrong email or password" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/console");
    await shot("sign-in");
    await page.getByLabel("Password").fill(t.admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    await page.getByText("No API keys yet").waitFor();
    assert.equal(new URL(page.url()).pathname, "/console/keys");
  });

  step(
    "creates a key with every field, checking addresses inline and showing the server's field errors",
    async () => {
      await page.getByRole("button", { name: "+ Add" }).click();
      const dialog = page.getByRole("dialog", { name: "Add an API key" });
      await dialog.getByLabel("State").selectOption("ACTIVE");
      const expires = new Date(Date.now() + 30 * 86_400_000);
      expires.setSeconds(0, 0);
      const local = new Date(expires.getTime() - expires.getTimezoneOffset() * 60_000)
        .toISOString()
        .slice(0, 16);
      await dialog.getByLabel("Expires after").fill(local);
      await dialog.getByLabel("Comments").fill("Console walk-through key");
      await dialog.getByLabel("Allowed IP addresses").fill("127.0.0.1\n10.0.0.300");
      await dialog.getByText("Not an IPv4/IPv6 address or CIDR range: 10.0.0.300").waitFor();
      await dialog.getByLabel("Allowed IP addresses").fill("127.0.0.1\n::1\n10.0.0.0/8");
      await dialog.getByText(/Not an IPv4/).waitFor({ state: "detached" });
      await dialog.getByRole("checkbox", { name: `Console Expo (${eventId})` }).check();
      await dialog.getByLabel("Write permission").check();
      await dialog.getByLabel("Contact name").fill("Integration Team");
      await dialog.getByLabel("Contact email").fill("not-an-email");
      await dialog.getByLabel("Contact phone").fill("+31 20 123 4567");
      await dialog.getByLabel("Rate limit (calls per minute)").fill("600");
      await dialog.getByLabel("Concurrency limit (calls at once)").fill("5");
      await shot("api-key-form");
      await dialog.getByRole("button", { name: "Add key" }).click();
      // The server names contact.email in extensions.errors: shown beside that field.
      const emailError = dialog
        .locator(".field-invalid", { has: page.getByLabel("Contact email") })
        .locator(".error");
      await emailError.waitFor();
      assert.match(String(await emailError.textContent()), /email/i);
      assert.deepEqual((await t.ok<{ apiKeys: unknown[] }>("{ apiKeys { id } }")).apiKeys, []);

      await dialog.getByLabel("Contact email").fill("integrations@example.test");
      await dialog.getByRole("button", { name: "Add key" }).click();
      const secretDialog = page.getByRole("dialog", { name: "Your new API key" });
      await secretDialog.getByText("It is shown only this once").waitFor();
      const secret = await secretDialog.getByLabel("API key").inputValue();
      assert.match(secret, /^vk_/);
      await secretDialog.getByRole("button", { name: "Copy" }).waitFor();
      await shot("api-key-secret");
      await secretDialog.getByRole("button", { name: "I have stored the key" }).click();
      await page.getByRole("table", { name: "API keys" }).getByText("Console walk-through key").waitFor();
      assert.ok(
        !(await page.content()).includes(secret),
        "the secret is shown once, then gone from the page",
      );

      const { apiKeys } = await t.ok<{ apiKeys: Record<string, unknown>[] }>(
        "{ apiKeys { id prefix state comments expiresAt allowedIps eventIds canWrite contact { name email phone } rateLimitPerMinute concurrencyLimit } }",
      );
      const [created] = apiKeys;
      assert.ok(created);
      key = { id: String(created.id), prefix: String(created.prefix), secret };
      assert.deepEqual(
        { ...created, id: undefined, prefix: undefined },
        {
          id: undefined,
          prefix: undefined,
          state: "ACTIVE",
          comments: "Console walk-through key",
          expiresAt: expires.toISOString(),
          allowedIps: ["127.0.0.1", "::1", "10.0.0.0/8"],
          eventIds: [eventId],
          canWrite: true,
          contact: { name: "Integration Team", email: "integrations@example.test", phone: "+31 20 123 4567" },
          rateLimitPerMinute: 600,
          concurrencyLimit: 5,
        },
      );
      const row = page.getByRole("row", { name: /Console walk-through key/ });
      for (const text of ["Active", `${key.prefix}…`, "Console Expo", "Yes"])
        await row.getByText(text).first().waitFor();
      await shot("api-keys");
    },
  );

  step(
    "counts the key's JSON and GraphQL calls and shows them in the Statistics table, chart and CSV",
    async () => {
      for (let index = 0; index < 3; index++) {
        assert.equal((await t.fetch("/json/events", { headers: bearer(key.secret) })).status, 200);
      }
      assert.equal(
        (await t.fetch("/json/events/nosuchevent00", { headers: bearer(key.secret) })).status,
        404,
      );
      for (let index = 0; index < 2; index++) {
        const result = await t.gql("{ events { id } }", {}, { as: key.secret });
        assert.equal(result.status, 200);
      }
      // Counting is off the request path: wait until the server has the six calls.
      await waitFor(
        "the key's calls in the statistics",
        async () => {
          const { apiStatistics } = await t.ok<{ apiStatistics: { calls: number }[] }>(
            `query($from: DateTimeISO!, $until: DateTimeISO!, $ids: [ID!]) {
            apiStatistics(from: $from, until: $until, resolution: DAY, apiKeyIds: $ids) { calls }
          }`,
            {
              from: new Date(Date.now() - 86_400_000).toISOString(),
              until: new Date(Date.now() + 86_400_000).toISOString(),
              ids: [key.id],
            },
          );
          return apiStatistics.reduce((sum, bucket) => sum + bucket.calls, 0) === 6;
        },
        10_000,
      );

      await openPage("Statistics");
      await page.getByRole("table", { name: "Calls per bucket" }).waitFor();
      assert.equal(await page.getByLabel("Resolution").inputValue(), "HOUR");
      await page
        .getByRole("group", { name: "API keys" })
        .getByRole("checkbox", { name: new RegExp(key.prefix) })
        .check();
      await page.getByRole("button", { name: "Show", exact: true }).click();
      await page.getByText(/^6 calls, 1 error,/).waitFor();

      const rowLocators = await page
        .getByRole("table", { name: "Calls per bucket" })
        .locator("tbody tr")
        .all();
      const rows = await Promise.all(rowLocators.map((row) => row.locator("td").allTextContents()));
      const sum = (type: string, column: number) =>
        rows.filter((cells) => cells[1] === type).reduce((total, cells) => total + Number(cells[column]), 0);
      assert.ok(
        rows.every((cells) => cells[2]?.includes(key.prefix)),
        "only the chosen key's rows",
      );
      assert.deepEqual([sum("JSON", 3), sum("JSON", 4), sum("GRAPHQL", 3), sum("GRAPHQL", 4)], [4, 1, 2, 0]);

      const chart = JSON.parse(
        (await page.getByTestId("calls-chart").getAttribute("data-chart")) ?? "{}",
      ) as {
        x: string[];
        calls: Record<string, number[]>;
        errors: number[];
      };
      const total = (values: number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);
      assert.equal(chart.x.length, 24, "24 hourly buckets by default");
      assert.deepEqual([total(chart.calls.JSON), total(chart.calls.GRAPHQL), total(chart.errors)], [4, 2, 1]);
      await page.locator(".uplot canvas").first().waitFor();
      await shot("statistics");

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Download CSV" }).click(),
      ]);
      const csv = readFileSync(await download.path(), "utf8")
        .trim()
        .split("\r\n");
      assert.equal(csv[0], "start,type,caller,calls,client_errors,server_errors");
      const csvRows = csv.slice(1).map((line) => line.split(","));
      assert.equal(csvRows.length, rows.length);
      const csvSum = (type: string, column: number) =>
        csvRows.filter((cells) => cells[1] === type).reduce((sum, cells) => sum + Number(cells[column]), 0);
      assert.deepEqual([csvSum("JSON", 3), csvSum("JSON", 4), csvSum("GRAPHQL", 3)], [4, 1, 2]);
    },
  );

  step(
    "creates an endpoint function, edits its code, runs it and shows its result, logs and error",
    async () => {
      await openPage("Functions");
      await page.getByText("No functions yet").waitFor();
      await page.getByRole("button", { name: "+ Add" }).click();
      const dialog = page.getByRole("dialog", { name: "Add a function" });
      await dialog.getByLabel("Name").fill("Greeter");
      await dialog.getByLabel("Type").selectOption("ENDPOINT");
      await dialog.getByLabel("Key", { exact: true }).fill("greeter");
      await dialog.getByLabel("Runs as API key").selectOption(key.id);
      await dialog.getByRole("button", { name: "Add function" }).click();
      await page.getByRole("heading", { level: 1, name: "Greeter" }).waitFor();
      assert.equal(await page.getByTestId("endpoint-url").textContent(), `${t.url}/functions/greeter`);

      const editor = page.getByRole("textbox", { name: "Code" });
      await editor.click();
      await page.keyboard.press("ControlOrMeta+a");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText(CODE);
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page.getByText(/^Saved at/).waitFor();
      const saved = await t.ok<{ functions: { code: string; name: string }[] }>(
        "{ functions { name code } }",
      );
      assert.deepEqual(saved.functions, [{ name: "Greeter", code: CODE }]);
      await shot("function");

      await page.getByLabel("Input (JSON, optional)").fill('{"name": "console"}');
      await page.getByRole("button", { name: "Run now" }).click();
      const result = page.getByTestId("run-result");
      await result.getByText("SUCCEEDED").waitFor();
      assert.deepEqual(JSON.parse(String(await page.getByTestId("run-output").textContent())), {
        greeting: "hi",
        events: 1,
      });
      assert.match(
        String(await page.getByTestId("run-logs").textContent()),
        /hello from the console console/,
      );

      await page.getByLabel("Input (JSON, optional)").fill('{"name": "again", "fail": true}');
      await page.getByRole("button", { name: "Run now" }).click();
      await result.getByText("FAILED").waitFor();
      assert.match(String(await page.getByTestId("run-error").textContent()), /asked to fail/);
      assert.match(String(await page.getByTestId("run-logs").textContent()), /hello from the console again/);

      const history = page.getByRole("table", { name: "Run history" });
      await history.locator("tbody tr").nth(1).waitFor();
      assert.deepEqual(
        await history.locator("tbody tr td:nth-child(3)").allInnerTexts(),
        ["FAILED", "SUCCEEDED"],
        "newest first",
      );
      await history.locator("tbody tr").nth(1).getByText("Show").click();
      await history
        .locator("tbody tr")
        .nth(1)
        .getByText(/hello from the console console/)
        .waitFor();
      await shot("function-runs");

      const endpoint = await t.fetch("/functions/greeter", { headers: bearer(key.secret) });
      assert.deepEqual([endpoint.status, await endpoint.json()], [200, { greeting: "hi", events: 1 }]);

      await page.getByRole("button", { name: "Disable", exact: true }).click();
      await page.getByRole("button", { name: "Enable", exact: true }).waitFor();
      await openPage("Functions");
      const row = page.getByRole("row", { name: /Greeter/ });
      for (const text of ["Endpoint", "/functions/greeter", "Disabled", "SUCCEEDED"])
        await row.getByText(text).waitFor();
      await shot("functions");
    },
  );

  step(
    "edits and disables the key: its next call is refused with 401, the page shows it disabled, the audit log says so",
    async () => {
      await openPage("API keys");
      await page.getByRole("button", { name: `Edit key ${key.prefix}` }).click();
      const edit = page.getByRole("dialog", { name: `Edit key ${key.prefix}…` });
      assert.equal(await edit.getByLabel("Contact name").inputValue(), "Integration Team");
      await edit.getByLabel("Comments").fill("Console walk-through key, edited");
      await edit.getByLabel("Rate limit (calls per minute)").fill("");
      await edit.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("row", { name: /Console walk-through key, edited/ }).waitFor();
      const { apiKey } = await t.ok<{ apiKey: { comments: string; rateLimitPerMinute: number | null } }>(
        "query($id: ID!) { apiKey(id: $id) { comments rateLimitPerMinute } }",
        { id: key.id },
      );
      assert.deepEqual(apiKey, { comments: "Console walk-through key, edited", rateLimitPerMinute: null });

      await page.getByRole("button", { name: `Disable key ${key.prefix}` }).click();
      await page
        .getByRole("row", { name: /Console walk-through key/ })
        .getByText("Disabled")
        .waitFor();
      const refused = await t.fetch("/json/events", { headers: bearer(key.secret) });
      assert.equal(refused.status, 401);

      await page.getByRole("button", { name: `Audit log of key ${key.prefix}` }).click();
      const audit = page.getByRole("dialog", { name: /Audit log of key/ });
      const table = audit.getByRole("table", { name: "Audit log" });
      await table.waitFor();
      const actions = await table.locator("tbody tr td:nth-child(2)").allInnerTexts();
      assert.deepEqual(actions, ["DISABLED", "UPDATED", "CREATED"]);
      await table.locator("tbody tr").first().getByText(t.admin.email).waitFor();
      await table
        .locator("tbody tr")
        .first()
        .getByText(/state.*ACTIVE.*DISABLED/)
        .waitFor();
      await shot("api-key-audit");
      await audit.getByRole("button", { name: "Close" }).click();
    },
  );

  step(
    "manages an event's webhooks: the secret once, failed pings in the delivery log, ERROR, reset to WAIT",
    async () => {
      let failing = true;
      receiver.handler = (ping) => (ping.path === "/hook" && failing ? 500 : 200);
      const hookUrl = receiver.url("/hook");
      const webhookState = async () => {
        const { webhooks } = await t.ok<{
          webhooks: {
            url: string;
            state: string;
            coveredRevision: number | null;
            lastStatus: number | null;
          }[];
        }>("query($eventId: ID!) { webhooks(eventId: $eventId) { url state coveredRevision lastStatus } }", {
          eventId,
        });
        return webhooks.find((webhook) => webhook.url === hookUrl);
      };

      await openPage("Webhooks");
      assert.equal(await page.getByLabel("Event", { exact: true }).inputValue(), eventId);
      await page.getByText("No webhooks for Console Expo yet").waitFor();
      await page.getByRole("button", { name: "+ Add" }).click();
      const dialog = page.getByRole("dialog", { name: "Add a webhook to Console Expo" });
      await dialog.getByLabel("Type").selectOption("VISITOR");
      // A private address the operator did not allow: the server's 422 names url, shown beside it.
      await dialog.getByLabel("URL").fill("http://10.20.30.40/hook");
      await dialog.getByRole("button", { name: "Add webhook" }).click();
      const urlError = dialog.locator(".field-invalid", { has: page.getByLabel("URL") }).locator(".error");
      await urlError.getByText(/refused/).waitFor();
      await dialog.getByLabel("URL").fill(hookUrl);
      assert.ok(await dialog.getByLabel("Enabled").isChecked());
      await dialog.getByRole("button", { name: "Add webhook" }).click();

      const secretDialog = page.getByRole("dialog", { name: "The webhook's signing secret" });
      await secretDialog.getByText("It is shown only this once").waitFor();
      const secret = await secretDialog.getByLabel("Signing secret").inputValue();
      assert.match(secret, /^whsec_/);
      await shot("webhook-secret");
      await secretDialog.getByRole("button", { name: "I have stored the secret" }).click();
      const row = page.getByRole("row", { name: /127\.0\.0\.1.*\/hook/ });
      for (const text of ["Visitors", "Enabled", "Never"]) await row.getByText(text).waitFor();
      await row.getByText(/^WAIT/).waitFor();
      assert.ok(!(await page.content()).includes(secret), "the secret is shown once, then gone");

      // A visitor change pings the webhook; the receiver answers 500 to the first try and both retries.
      const visitor = await createVisitor(t, eventId);
      await waitFor("the webhook to give up", async () => (await webhookState())?.state === "ERROR", 20_000);
      await page.getByRole("button", { name: "Refresh" }).click();
      await row.getByText("ERROR", { exact: true }).waitFor();
      const cells = await row.locator("td").allInnerTexts();
      assert.equal(cells[4], "3", "the first attempt and two retries");
      assert.match(String(cells[5]), /^500/);
      await shot("webhooks");

      await page.getByRole("button", { name: `Deliveries of webhook ${hookUrl}` }).click();
      const log = page.getByRole("dialog", { name: `Deliveries to ${hookUrl}` });
      const deliveries = log.getByRole("table", { name: "Deliveries" });
      await deliveries.waitFor();
      const rows = await Promise.all(
        (await deliveries.locator("tbody tr").all()).map((line) => line.locator("td").allInnerTexts()),
      );
      assert.deepEqual(
        rows.map((cells) => [cells[1], cells[2], cells[3]]),
        [3, 2, 1].map((attempt) => [String(attempt), String(visitor.revision), "500"]),
        "newest first, each covering the visitor's revision",
      );
      assert.ok(rows.every((cells) => /^\d+ ms$/.test(String(cells[4]))));
      await shot("webhook-deliveries");
      await log.getByRole("button", { name: "Close" }).click();

      // Reset: the next ping covers everything undelivered, and now the receiver takes it.
      failing = false;
      await page.getByRole("button", { name: `Reset to WAIT webhook ${hookUrl}` }).click();
      await row.getByText(/^WAIT/).waitFor();
      await row
        .getByRole("button", { name: `Edit webhook ${hookUrl}` })
        .and(page.locator(":focus"))
        .waitFor();
      await waitFor(
        "the ping after the reset",
        async () => (await webhookState())?.lastStatus === 200,
        20_000,
      );
      // The page follows a ping in flight by itself; the button covers one it did not see start.
      await page.getByRole("button", { name: "Refresh" }).click();
      await row.getByText("200", { exact: true }).waitFor();
      assert.equal((await row.locator("td").allInnerTexts())[4], "0");
      assert.equal(await page.getByRole("button", { name: `Reset to WAIT webhook ${hookUrl}` }).count(), 0);

      // A second, partner webhook: added disabled, its URL edited, then deleted after confirming.
      await page.getByRole("button", { name: "+ Add" }).click();
      await dialog.getByLabel("Type").selectOption("PARTNER");
      await dialog.getByLabel("URL").fill(receiver.url("/partners"));
      await dialog.getByLabel("Enabled").uncheck();
      await dialog.getByRole("button", { name: "Add webhook" }).click();
      await secretDialog.getByRole("button", { name: "I have stored the secret" }).click();
      const partners = page.getByRole("row", { name: /\/partners/ });
      await partners.getByText("Disabled").waitFor();
      await page.getByRole("button", { name: `Edit webhook ${receiver.url("/partners")}` }).click();
      const edit = page.getByRole("dialog", { name: "Edit the partner webhook" });
      await edit.getByLabel("URL").fill(receiver.url("/partners-2"));
      await edit.getByLabel("Enabled").check();
      await edit.getByRole("button", { name: "Save changes" }).click();
      await partners.locator("code.url", { hasText: "/partners-2" }).waitFor();
      await partners.getByText("Enabled").waitFor();
      await page.getByRole("button", { name: `Audit log of webhook ${receiver.url("/partners-2")}` }).click();
      const audit = page.getByRole("dialog", { name: /Audit log of the webhook/ });
      const auditTable = audit.getByRole("table", { name: "Audit log" });
      await auditTable.waitFor();
      assert.deepEqual(await auditTable.locator("tbody tr td:nth-child(2)").allInnerTexts(), [
        "UPDATED",
        "CREATED",
      ]);
      await auditTable.locator("tbody tr").first().getByText(t.admin.email).waitFor();
      await auditTable
        .locator("tbody tr")
        .first()
        .getByText(/partners-2/)
        .waitFor();
      await audit.getByRole("button", { name: "Close" }).click();
      await page.getByRole("button", { name: `Delete webhook ${receiver.url("/partners-2")}` }).click();
      await page
        .getByRole("dialog", { name: "Delete this webhook?" })
        .getByRole("button", { name: "Delete webhook" })
        .click();
      await partners.waitFor({ state: "detached" });
      const left = await t.ok<{ webhooks: { url: string }[] }>(
        "query($eventId: ID!) { webhooks(eventId: $eventId) { url } }",
        { eventId },
      );
      assert.deepEqual(
        left.webhooks.map((webhook) => webhook.url),
        [hookUrl],
      );
    },
  );

  step("sets the notification URL, refusing a private address beside the field, and removes it", async () => {
    const section = page.getByRole("region", { name: "Notification URL" });
    const field = section.getByLabel("Notification URL", { exact: true });
    await field.fill("http://192.168.1.10/notify");
    await section.getByRole("button", { name: "Set URL" }).click();
    await section
      .locator(".field-invalid", { has: page.getByLabel("Notification URL", { exact: true }) })
      .locator(".error")
      .getByText(/refused/)
      .waitFor();
    assert.equal(
      (
        await t.ok<{ organisation: { notificationUrl: string | null } }>(
          "{ organisation { notificationUrl } }",
        )
      ).organisation.notificationUrl,
      null,
    );

    await field.fill(receiver.url("/notify"));
    await section.getByRole("button", { name: "Set URL" }).click();
    const secretDialog = page.getByRole("dialog", { name: "The notification URL's signing secret" });
    assert.match(await secretDialog.getByLabel("Signing secret").inputValue(), /^whsec_/);
    await secretDialog.getByRole("button", { name: "I have stored the secret" }).click();
    await section.getByText("Notification URL saved.").waitFor();
    await section.getByTestId("notification-state").getByText(/^WAIT/).waitFor();

    // A newly registered visitor is notified; its delivery shows up in the URL's log.
    await createVisitor(t, eventId);
    await waitFor(
      "the notification to be delivered",
      async () =>
        (
          await t.ok<{ notificationDeliveries: { status: number | null }[] }>(
            "{ notificationDeliveries { status } }",
          )
        ).notificationDeliveries.some((delivery) => delivery.status === 200),
      20_000,
    );
    await section.getByRole("button", { name: "Deliveries of the notification URL" }).click();
    const log = page.getByRole("dialog", { name: "Deliveries to the notification URL" });
    await log.getByRole("table", { name: "Deliveries" }).getByText("200", { exact: true }).waitFor();
    await shot("notification-deliveries");
    await log.getByRole("button", { name: "Close" }).click();
    await shot("webhooks-notification");

    await section.getByRole("button", { name: "Remove the notification URL" }).click();
    await page
      .getByRole("dialog", { name: "Remove the notification URL?" })
      .getByRole("button", { name: "Remove" })
      .click();
    await section.getByText("Notification URL removed.").waitFor();
    assert.equal(await field.inputValue(), "");
    assert.equal(
      (
        await t.ok<{ organisation: { notificationUrl: string | null } }>(
          "{ organisation { notificationUrl } }",
        )
      ).organisation.notificationUrl,
      null,
    );
  });

  step("invites a user with roles; a role without key management sees no Keys page", async () => {
    await openPage("Users");
    await page.getByRole("button", { name: "+ Invite" }).click();
    const dialog = page.getByRole("dialog", { name: "Invite a user" });
    await dialog.getByLabel("Email").fill("data.person@example.test");
    await dialog.getByLabel("Name").fill("Data Person");
    await dialog.getByLabel("First password").fill("short");
    await dialog.getByRole("checkbox", { name: /Data management/ }).check();
    await dialog.getByRole("button", { name: "Invite" }).click();
    await dialog.getByText("must be at least 8 characters").waitFor();
    await dialog.getByLabel("First password").fill("data-password-1");
    await dialog.getByRole("button", { name: "Invite" }).click();
    const row = page.getByRole("row", { name: /data.person@example.test/ });
    await row.getByText("DATA_MANAGEMENT").waitFor();
    await shot("users");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You have signed out.").waitFor();
    await signIn("data.person@example.test", "data-password-1");
    // Data management is the role of webhooks: that page only, without the admins' notification URL.
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await page.getByRole("row", { name: /127\.0\.0\.1.*\/hook/ }).waitFor();
    assert.equal(await page.getByRole("link", { name: "API keys" }).count(), 0);
    assert.equal(await page.getByRole("heading", { name: "Notification URL" }).count(), 0);
    await page.goto(`${t.url}/console/keys`);
    await page.getByText("Your roles do not give access to this page.").waitFor();
    assert.equal(await page.getByRole("table", { name: "API keys" }).count(), 0);
    await page.getByRole("button", { name: "Sign out" }).click();
  });

  step("returns to sign-in with a message when the session has ended", async () => {
    await signIn(t.admin.email, t.admin.password);
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    const stored = await page.evaluate(IN_BROWSER.storedSession);
    const { token } = JSON.parse(String(stored)) as { token: string };
    await t.ok("mutation { logout }", {}, { as: token });
    // Its heading never comes: the page's first call is refused and the console returns to sign-in.
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Users" }).click();
    await page.getByText("Your session has expired. Sign in again to continue.").waitFor();
    await page.getByRole("heading", { name: "Sign in to the Visit API console" }).waitFor();
  });

  step("fits a 390 px wide screen without sideways scrolling of the page", async () => {
    await signIn(t.admin.email, t.admin.password);
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const name of ["API keys", "Functions", "Statistics", "Webhooks", "Users"]) {
      await openPage(name);
      // Polled from here: the page's CSP refuses the string evaluation waitForFunction would poll with.
      await waitFor(`${name} to load`, async () => (await page.locator(".loading").count()) === 0, 10_000);
      const { width, wide } = (await page.evaluate(IN_BROWSER.pageWidth)) as {
        width: number;
        wide: string[];
      };
      assert.ok(width <= 390, `${name} is ${width} px wide: ${wide.join(", ")}`);
      await shot(`narrow-${name.toLowerCase().replace(" ", "-")}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  step("changes a user's roles and deactivates them: they can no longer sign in", async () => {
    await openPage("Users");
    const email = "data.person@example.test";
    await page.getByRole("button", { name: `Change roles of ${email}` }).click();
    const dialog = page.getByRole("dialog", { name: `Roles of ${email}` });
    await dialog.getByRole("checkbox", { name: /Account management/ }).check();
    await dialog.getByRole("button", { name: "Save roles" }).click();
    const row = page.getByRole("row", { name: new RegExp(email) });
    await row.getByText("USER_ACCOUNT_MANAGEMENT").waitFor();

    await page.getByRole("button", { name: `Deactivate ${email}` }).click();
    await page
      .getByRole("dialog", { name: "Deactivate this user?" })
      .getByRole("button", { name: "Deactivate" })
      .click();
    await row.getByText("Deactivated").waitFor();
    const login = await t.gql(
      "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
      { email, password: "data-password-1" },
      { as: null },
    );
    assert.deepEqual([login.status, login.errors?.[0]?.extensions?.reason], [401, "USER_DEACTIVATED"]);
    await shot("users-deactivated");
  });

  step("made no request to another host, and the page logged no errors", () => {
    const origin = new URL(t.url).origin;
    const foreign = requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url));
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((url) => url.startsWith(`${origin}/console/assets/`)));
    assert.deepEqual(pageErrors, []);
  });
});
