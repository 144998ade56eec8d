import { createCB } from "xmlbuilder2";
import type { XMLBuilderCB } from "xmlbuilder2/lib/interfaces.js";
import { singular } from "./kebab-case.js";
import type { RestValue } from "./rest-model.js";

// Everything XML 1.0 can carry; anything else (most control characters, lone surrogates) cannot be
// sent at all, not even escaped, and becomes U+FFFD.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function xmlText(text: string): string {
  // xmlbuilder2 leaves an `&` that starts something entity-like (`&nbsp;`, `&amp;`) unescaped,
  // which would change or break the text: escaping every `&` first leaves it nothing to skip.
  return text.replace(NOT_XML_CHAR, "\uFFFD").replaceAll("&", "&amp;");
}

function write(xml: XMLBuilderCB, name: string, value: RestValue): void {
  xml.ele(name);
  if (Array.isArray(value)) {
    const item = singular(name);
    for (const entry of value) write(xml, item, entry);
  } else if (typeof value === "object") {
    for (const [key, child] of Object.entries(value)) write(xml, key, child);
  } else {
    xml.txt(xmlText(String(value)));
  }
  xml.up();
}

/**
 * Renders a REST value as an XML document: one element per field, lists as a plural element of
 * singular ones, `true`/`false` for booleans. Null fields are already left out of a RestValue.
 * xmlbuilder2's streaming builder writes the text directly: no document tree per response.
 */
export function renderXml(root: string, value: RestValue): string {
  const chunks: string[] = [];
  const xml = createCB({
    data: (chunk: string) => chunks.push(chunk),
    prettyPrint: true,
  });
  xml.dec({ version: "1.0", encoding: "UTF-8" });
  write(xml, root, value);
  xml.end();
  // A literal CR would come back as LF (XML normalises line ends); as a reference it survives.
  return chunks.join("").replaceAll("\r", "&#xD;");
}
