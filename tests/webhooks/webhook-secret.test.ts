import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eq } from "drizzle-orm";
import { webhooks } from "@/schema/tables/index.js";
import { ConfigError, loadEnv } from "@/src/config/env.js";
import { WebhookSecrets } from "@/src/services/webhooks/webhook-secret.js";
import { createEvent } from "../support/factories.js";
import { startApp, type TestApp } from "../support/harness.js";
import { createWebhook } from "./support.js";

// Signing secrets are shown once and kept encrypted (AES-256-GCM), bound to their webhook.

describe("webhook signing secrets", () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({ WEBHOOK_SECRET_KEY: randomBytes(32).toString("hex") });
  });
  after(() => t.close());

  it("stores the secret encrypted under WEBHOOK_SECRET_KEY, bound to its webhook's id", async () => {
    const event = await createEvent(t);
    // A public address literal: saved without a DNS look-up, and never pinged (nothing changes).
    const { webhook, secret } = await createWebhook(t, event.id, { url: "http://93.184.216.34/in" });
    const [row] = await t.app.database.db.select().from(webhooks).where(eq(webhooks.id, webhook.id));
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    assert.ok(!row.secret.includes(secret.slice("whsec_".length)), "not stored in the clear");
    assert.ok(!row.secret.includes(key.toString("base64url")));
    const secrets = new WebhookSecrets(t.app.database.db, t.env.WEBHOOK_SECRET_KEY);
    assert.equal(await secrets.open(webhook.id, row.secret), secret);
    await assert.rejects(secrets.open("another-webhook", row.secret), "bound to its webhook");
    const otherKey = new WebhookSecrets(t.app.database.db, randomBytes(32));
    await assert.rejects(otherKey.open(webhook.id, row.secret), /another WEBHOOK_SECRET_KEY/);
  });

  it("without WEBHOOK_SECRET_KEY, generates one key in the database that every instance shares", async () => {
    const first = new WebhookSecrets(t.app.database.db, undefined);
    const second = new WebhookSecrets(t.app.database.db, undefined);
    const sealed = await first.seal("hook", "whsec_c2VjcmV0");
    assert.equal(await second.open("hook", sealed), "whsec_c2VjcmV0");
  });

  it("refuses a WEBHOOK_SECRET_KEY that is not 32 bytes, and a bad retry ladder, naming the variable", () => {
    assert.throws(
      () => loadEnv({ WEBHOOK_SECRET_KEY: "too-short" }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /WEBHOOK_SECRET_KEY/);
        return true;
      },
    );
    assert.throws(() => loadEnv({ WEBHOOK_RETRY_DELAYS_MS: "10,-1" }), /WEBHOOK_RETRY_DELAYS_MS/);
    assert.equal(
      loadEnv({ WEBHOOK_SECRET_KEY: randomBytes(32).toString("base64") }).WEBHOOK_SECRET_KEY?.length,
      32,
    );
    assert.deepEqual(
      loadEnv({}).WEBHOOK_RETRY_DELAYS_MS,
      [10_000, 60_000, 300_000, 900_000, 3_600_000, 86_400_000],
    );
  });
});
