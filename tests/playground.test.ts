import { must } from "./support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildClientSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from "graphql";
import { printContract } from "@/src/graphql/schema.js";
import { startApp, type TestApp } from "./support/harness.js";

// SPEC section 4: GET /graphql from a browser serves an interactive playground with no external
// network access. Everything the page loads must come from this server.

let t: TestApp;
let page: { status: number; type: string; csp: string; html: string };
before(async () => {
  t = await startApp();
  const response = await t.fetch("/graphql", { headers: { accept: BROWSER_ACCEPT } });
  page = {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    csp: response.headers.get("content-security-policy") ?? "",
    html: await response.text(),
  };
});
after(() => t.close());

/** What Chrome and Firefox send for a page navigation. */
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** Hosts whose only business in a bundle would be to load code, styles or fonts at run time. */
const CDN =
  /https?:\/\/(?:unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|[\w-]+\.googleapis\.com|fonts\.gstatic\.com|esm\.sh|cdn\.skypack\.dev|esm\.run|ga\.jspm\.io)\b/;

/**
 * Code that would fetch something absolute at run time. The bundle holds harmless documentation
 * links (github.com, w3.org, ...) in strings and comments; these patterns only match loading.
 */
const LOADS_ABSOLUTE_URL =
  /(?:\bimport\s*\(|\bimportScripts\s*\(|\bfetch\s*\(|\bnew\s+(?:Shared)?Worker\s*\(|@import\s+(?:url\()?)\s*["'`]?(?:https?:)?\/\/[^"'`\s)]+/g;

const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** Every URL the page makes the browser load: attributes, Monaco's worker URLs. */
function pageResources(html: string): string[] {
  const urls = [...html.matchAll(/\s(?:src|href)\s*=\s*"([^"]*)"/g)].map((match) => match[1]);
  const monaco = /MonacoEnvironment\s*=\s*\{([\s\S]*?)\};\s*<\/script>/.exec(html);
  assert.ok(monaco, "the page configures Monaco's workers");
  const base = /\bbase\s*=\s*"([^"]+)"/.exec(monaco[1]);
  assert.ok(base, "the worker URLs share a base");
  const workers = [...monaco[1].matchAll(/\bbase\s*\+\s*"([^"]+)"/g)].map((match) => base[1] + match[1]);
  assert.ok(workers.length >= 3, "editor, json and graphql workers");
  return [...urls, ...workers];
}

/** `url(...)` references in a stylesheet, without data: URIs, resolved against the sheet. */
function cssResources(css: string, sheet: string): string[] {
  return [...css.matchAll(/url\(\s*(["']?)([^"')]+)\1\s*\)/g)]
    .map((match) => match[2].trim())
    .filter((url) => !url.startsWith("data:") && !url.startsWith("#"))
    .map((url) => (ABSOLUTE.test(url) ? url : new URL(url, `http://same-origin${sheet}`).pathname));
}

function assertSameOrigin(url: string) {
  if (url.startsWith("data:")) return;
  assert.ok(!ABSOLUTE.test(url), `${url} points to another host`);
  assert.ok(url.startsWith("/"), `${url} is a same-origin path`);
}

describe("GraphQL playground (SPEC section 4)", () => {
  it("serves the GraphiQL page to a browser's GET /graphql", () => {
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.html, /^<!DOCTYPE html>/i);
    assert.match(page.html, /renderYogaGraphiQL/);
    assert.match(page.html, /endpoint:\s*"\/graphql"/);
  });

  it("loads every resource from its own origin, and every one of them is served", async () => {
    const resources = pageResources(page.html);
    assert.ok(resources.some((url) => url.endsWith(".js")));
    assert.ok(resources.some((url) => url.endsWith(".css")));
    for (const url of resources) assertSameOrigin(url);

    const fetched = new Map<string, string>();
    const queue = resources.filter((url) => !url.startsWith("data:"));
    while (queue.length > 0) {
      const url = must(queue.shift(), "queue.shift()");
      if (fetched.has(url)) continue;
      const response = await t.fetch(url);
      assert.equal(response.status, 200, `GET ${url}`);
      const type = response.headers.get("content-type") ?? "";
      const body = await response.text();
      fetched.set(url, body);
      if (url.endsWith(".js"))
        assert.match(type, /javascript/, `${url} as JavaScript (module workers need it)`);
      if (url.endsWith(".css")) {
        assert.match(type, /^text\/css/, url);
        for (const nested of cssResources(body, url)) {
          assertSameOrigin(nested);
          queue.push(nested);
        }
      }
    }

    for (const [url, body] of fetched) {
      assert.doesNotMatch(body, CDN, `${url} mentions a CDN`);
      const loads = [...body.matchAll(LOADS_ABSOLUTE_URL)].map((match) => match[0]);
      assert.deepEqual(loads, [], `${url} loads absolute URLs`);
    }
  });

  it("forbids the page any other origin through its Content-Security-Policy", () => {
    assert.match(page.csp, /default-src 'self'/);
    for (const directive of page.csp.split(";")) {
      assert.doesNotMatch(directive, /https?:|\*/, `no external source in "${directive.trim()}"`);
    }
  });

  it("still executes queries sent with POST /graphql", async () => {
    const result = await t.gql<{ __typename: string }>("{ __typename }");
    assert.equal(result.status, 200);
    assert.deepEqual(result.data, { __typename: "Query" });
    const me = await t.ok<{ me: { email: string } }>("{ me { email } }");
    assert.equal(me.me.email, t.admin.email);
  });

  it("answers the full introspection query GraphiQL sends, with and without credentials, with the whole schema", async () => {
    // Exactly what GraphiQL asks for (its default options) to build completion and the docs.
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    // Before logging in is when the playground is needed most: it is how the login mutation is found.
    for (const as of [null, undefined]) {
      const result = await t.gql<IntrospectionQuery>(query, {}, { as });
      assert.equal(result.status, 200, JSON.stringify(result.errors));
      assert.equal(result.errors, undefined);
      const schema = buildClientSchema(must(result.data, "result.data"));
      assert.equal(`${printSchema(lexicographicSortSchema(schema))}\n`, await printContract());
    }
  });

  it("does not answer a JSON client's GET /graphql with the page", async () => {
    for (const accept of ["application/json", "*/*", "application/graphql-response+json"]) {
      const response = await t.fetch("/graphql?query=%7B__typename%7D", { headers: { accept } });
      const body = await response.text();
      assert.doesNotMatch(response.headers.get("content-type") ?? "", /html/, `Accept: ${accept}`);
      assert.doesNotMatch(body, /<!DOCTYPE html>/i, `Accept: ${accept}`);
    }
  });

  it("answers 404 for an asset that does not exist, and serves nothing outside its folder", async () => {
    const missing = await t.fetch("/graphql/assets/nope.js");
    assert.equal(missing.status, 404);
    const body = (await missing.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]?.extensions.code, "NOT_FOUND");
    for (const path of [
      "/graphql/assets/..%2f..%2fpackage.json",
      "/graphql/assets/%2e%2e/%2e%2e/package.json",
    ]) {
      const response = await t.fetch(path);
      assert.notEqual(response.status, 200, path);
      assert.doesNotMatch(await response.text(), /"dependencies"/, path);
    }
  });
});
