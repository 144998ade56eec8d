import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import { singular } from "./kebab-case.js";
import type { RestValue } from "./rest-model.js";
import { writeXml } from "./xml-writer.js";

function fill(element: XMLBuilder, name: string, value: RestValue): void {
  if (Array.isArray(value)) {
    const item = singular(name);
    for (const entry of value) fill(element.ele(item), item, entry);
  } else if (typeof value === "object") {
    for (const [key, child] of Object.entries(value)) fill(element.ele(key), key, child);
  } else {
    // xmlbuilder2 leaves an `&` that starts something entity-like (`&nbsp;`, `&amp;`) unescaped,
    // which would change or break the text: escaping every `&` first leaves it nothing to skip.
    element.txt(String(value).replaceAll("&", "&amp;"));
  }
}

/**
 * Builds a REST value as an XML document with xmlbuilder2: one element per field, lists as a plural
 * element of singular ones, `true`/`false` for booleans. Null fields are already left out of a
 * RestValue. The reference for the string writer, and the tool for any document of another shape.
 */
export function buildXml(root: string, value: RestValue): string {
  // XML 1.0 cannot carry most control characters at all, not even escaped: they become U+FFFD.
  const document = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  fill(document.ele(root), root, value);
  // A literal CR would come back as LF (XML normalises line ends); as a reference it survives.
  return document.end({ prettyPrint: true }).replaceAll("\r", "&#xD;");
}

/**
 * The REST layer's XML documents. Their shapes are fixed (fields, nested objects and lists of a
 * GraphQL selection), so a string writer renders them: the same bytes as buildXml, about ten
 * times faster (xmlbuilder2 costs some 2 µs per element).
 */
export const renderXml: (root: string, value: RestValue) => string = writeXml;
