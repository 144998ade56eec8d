import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import { singular } from "./kebab-case.js";
import type { RestValue } from "./rest-model.js";

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
 * Renders a REST value as an XML document: one element per field, lists as a plural element of
 * singular ones, `true`/`false` for booleans. Null fields are already left out of a RestValue.
 */
export function renderXml(root: string, value: RestValue): string {
  // XML 1.0 cannot carry most control characters at all, not even escaped: they become U+FFFD.
  const document = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  fill(document.ele(root), root, value);
  // A literal CR would come back as LF (XML normalises line ends); as a reference it survives.
  return document.end({ prettyPrint: true }).replaceAll("\r", "&#xD;");
}
