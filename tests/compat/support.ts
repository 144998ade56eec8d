import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { XMLParser } from "fast-xml-parser";
import { validateXML } from "xmllint-wasm";
import { singular } from "@/compat/kebab-case.js";
import type { As, TestApp } from "../support/harness.js";

export type RestFormat = "json" | "xml";

export type RestResponse = { status: number; headers: Headers; text: string };

/** One REST call; `body` is sent as is, with the format's content type unless told otherwise. */
export async function rest(
  t: TestApp,
  method: string,
  path: string,
  options: { body?: string; contentType?: string; as?: As; headers?: Record<string, string> } = {},
): Promise<RestResponse> {
  const format = path.startsWith("/xml/") ? "xml" : "json";
  const auth: Record<string, string> =
    options.as === null
      ? {}
      : typeof options.as === "object"
        ? options.as.headers
        : { authorization: `Bearer ${options.as ?? t.admin.token}` };
  const response = await t.fetch(path, {
    method,
    headers: {
      ...auth,
      ...(options.body !== undefined && { "content-type": options.contentType ?? `application/${format}` }),
      ...options.headers,
    },
    body: options.body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Like rest, but asserts the status first (showing the body when it differs). */
export async function restOk(
  t: TestApp,
  method: string,
  path: string,
  status: number,
  options: Parameters<typeof rest>[3] = {},
): Promise<RestResponse> {
  const response = await rest(t, method, path, options);
  assert.equal(response.status, status, `${method} ${path}: ${response.text}`);
  return response;
}

type OrderedNode = { [name: string]: OrderedNode[] | string } & { ":@"?: Record<string, string> };

const orderedParser = new XMLParser({
  preserveOrder: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
});

const elementsOf = (nodes: OrderedNode[]) =>
  nodes.filter((node) => !("#text" in node && String(node["#text"]).trim() === ""));

function textOf(children: OrderedNode[]): string {
  return children.map((node) => String(node["#text"] ?? "")).join("");
}

/**
 * Asserts that an XML document says exactly what a JSON value says, field by field and in
 * order: objects as elements named by their keys, arrays as a plural element of singular ones,
 * scalars as text. Independent of the server's own XML reader.
 */
export function assertXmlMatchesJson(xml: string, json: unknown, root: string): void {
  const document = elementsOf(orderedParser.parse(xml) as OrderedNode[]);
  assert.equal(document.length, 1, "one root element");
  const [rootNode] = document;
  assert.ok(rootNode && root in rootNode, `root element <${root}>`);
  compare(rootNode[root] as OrderedNode[], json, root);
}

function compare(children: OrderedNode[], json: unknown, path: string): void {
  const elements = elementsOf(children).filter((node) => !("#text" in node));
  if (Array.isArray(json)) {
    const item = singular(path.split(".").at(-1) ?? "");
    assert.equal(elements.length, json.length, `${path}: ${json.length} items`);
    elements.forEach((node, index) => {
      assert.deepEqual(Object.keys(node), [item], `${path}.${index} is <${item}>`);
      compare(node[item] as OrderedNode[], json[index], `${path}.${index}`);
    });
  } else if (typeof json === "object" && json !== null) {
    const names = elements.map((node) => Object.keys(node)[0]);
    assert.deepEqual(names, Object.keys(json), `${path}: the same fields in the same order`);
    for (const node of elements) {
      const name = Object.keys(node)[0];
      compare(node[name] as OrderedNode[], (json as Record<string, unknown>)[name], `${path}.${name}`);
    }
  } else {
    assert.equal(elements.length, 0, `${path} is text`);
    assert.equal(textOf(children), String(json), path);
  }
}

const schemaFile = (name: string) => ({
  fileName: name,
  contents: readFileSync(new URL(`../../schema/${name}`, import.meta.url), "utf8"),
});

/** Validates an XML document against one of the XML Schemas in schema/ (with libxml2, in WebAssembly). */
export async function assertValidXml(xml: string, schema: string): Promise<void> {
  const result = await validateXML({
    xml: { fileName: "response.xml", contents: xml },
    schema: schemaFile(schema),
    preload: [schemaFile("contact.xsd")],
  });
  assert.ok(result.valid, `${schema}: ${result.errors.map((error) => error.message).join("\n")}\n${xml}`);
}

/** Drops null fields, deeply: GraphQL's view with REST's "null fields left out". */
export function withoutNulls<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, item) => (item === null ? undefined : item))) as T;
}
