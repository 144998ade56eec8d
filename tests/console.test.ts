import "reflect-metadata";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import express from "express";
import { CONSOLE_BUNDLE, consoleRouter } from "@/src/http/console.router.js";
import { startApp, type TestApp } from "./support/harness.js";

// SPEC section 11: the console is served by the server itself at /console (GET / redirects there)
// from its own files. The browser walk-through is `npm run test:e2e`; this spec needs no browser
// (the bundle is built by pretest).

let t: TestApp;
before(async () => {
  t = await startApp();
});
after(() => t.close());

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async function consolePage(path = "/console") {
  const response = await t.fetch(path, { headers: { accept: BROWSER_ACCEPT } });
  return { response, html: await response.text() };
}

/** Every src and href of the page. */
const resources = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]);

describe("the console's files", () => {
  it("redirects / to /console", async () => {
    const response = await t.fetch("/", { redirect: "manual" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/console");
  });

  it("serves index.html at /console, never cached, with a same-origin CSP and a fresh nonce each time", async () => {
    const first = await consolePage();
    assert.equal(first.response.status, 200);
    assert.match(first.response.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(first.response.headers.get("cache-control"), "no-cache");
    const csp = first.response.headers.get("content-security-policy") ?? "";
    const nonce = /<meta name="csp-nonce" content="([^"]+)"/.exec(first.html)?.[1];
    assert.ok(nonce, "the page carries its nonce");
    assert.equal(
      csp,
      `default-src 'self'; script-src 'self'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    );
    const second = await consolePage();
    assert.notEqual(/content="([^"]+)"/.exec(second.html)?.[1], nonce);
  });

  it("loads only files of this server: no URL of another host in index.html", async () => {
    const { html } = await consolePage();
    const urls = resources(html);
    assert.ok(
      urls.some((url) => /^\/console\/assets\/index-[\w-]+\.js$/.test(url)),
      urls.join(" "),
    );
    assert.deepEqual(
      urls.filter((url) => !url.startsWith("/console/")),
      [],
    );
    assert.doesNotMatch(html, /https?:\/\//);
  });

  it("serves the client routes (/console/keys, /console/functions/<id>) as index.html", async () => {
    for (const path of ["/console/keys", "/console/functions/abc123", "/console/statistics"]) {
      const { response, html } = await consolePage(path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("cache-control"), "no-cache");
      assert.match(html, /<div id="app"><\/div>/);
    }
  });

  it("serves the hashed assets with a year's immutable cache, and a missing one as 404", async () => {
    const { html } = await consolePage();
    const assets = resources(html).filter((url) => url.startsWith("/console/assets/"));
    assert.ok(assets.length >= 2, "a script and a style sheet");
    for (const url of assets) {
      const response = await t.fetch(url);
      assert.equal(response.status, 200, url);
      assert.equal(response.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.match(
        response.headers.get("content-type") ?? "",
        url.endsWith(".js") ? /javascript/ : /text\/css/,
      );
    }
    const missing = await t.fetch("/console/assets/index-0000000.js");
    assert.equal(missing.status, 404);
    assert.doesNotMatch(await missing.text(), /<div id="app">/);
  });

  it("names every file it serves by content hash, so a long cache cannot serve stale code", () => {
    const files = readdirSync(join(CONSOLE_BUNDLE, "assets"));
    assert.ok(files.length > 0);
    for (const file of files) assert.match(file, /-[\w-]{8}\.\w+$/, file);
  });

  it("answers 503 saying how to build it when the bundle is missing", async () => {
    const server = express()
      .use(consoleRouter(join(CONSOLE_BUNDLE, "no-such-bundle")))
      .listen(0, "127.0.0.1");
    try {
      await new Promise((resolve) => server.once("listening", resolve));
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/console`);
      assert.equal(response.status, 503);
      assert.match(await response.text(), /npm run build:console/);
    } finally {
      server.close();
    }
  });

  it("leaves the API's own routes alone", async () => {
    const health = await t.fetch("/healthz");
    assert.equal(health.status, 200);
    const unknown = await t.fetch("/consoles");
    assert.equal(unknown.status, 404);
  });
});
