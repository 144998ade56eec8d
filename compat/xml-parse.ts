import { type EntityDecoderOptions, XMLParser, XMLValidator } from "fast-xml-parser";
import { AppError } from "@/src/errors/app-error.js";

/** Deepest element nesting a request body may have; the records themselves need five levels. */
export const MAX_BODY_DEPTH = 32;
/** Most elements in one XML body: a partner with 1,000 fully filled staff members needs about 15,000. */
const MAX_BODY_ELEMENTS = 20_000;
// The longest tag a record needs is a root element declaring the xsi namespace.
const MAX_TAG_LENGTH = 1_024;

const badBody = (message: string) => new AppError("BAD_REQUEST", message);

// A DOCTYPE is where entities are declared (XXE, billion laughs, quadratic blowup): markup
// declarations of any kind are refused before any parser sees the text.
const DECLARATION = /<!(?!--|\[CDATA\[)/;

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = {
  lt: "<",
  gt: ">",
  amp: "&",
  apos: "'",
  quot: '"',
};

const isXmlChar = (code: number) =>
  code === 0x9 ||
  code === 0xa ||
  code === 0xd ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

/** Resolves XML 1.0's five predefined entities and character references; anything else is refused. */
function decodeReferences(text: string): string {
  return text.replace(/&([^;&<]{0,40})(;?)/g, (whole, name: string, semicolon: string) => {
    if (!semicolon) throw badBody("Malformed XML: a bare & must be written as &amp;");
    if (Object.hasOwn(PREDEFINED_ENTITIES, name)) return PREDEFINED_ENTITIES[name];
    const numeric = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
    if (!numeric) throw badBody(`Malformed XML: undefined entity ${whole}`);
    const code = numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
    if (!isXmlChar(code)) throw badBody(`Malformed XML: ${whole} is not an XML character`);
    return String.fromCodePoint(code);
  });
}

const strictEntities: EntityDecoderOptions = {
  decode: decodeReferences,
  // Only a DOCTYPE declares entities, and a DOCTYPE never gets this far; refuse all the same.
  addInputEntities: () => {
    throw badBody("Entity declarations are not allowed");
  },
  setExternalEntities: () => {},
  reset: () => {},
  setXmlVersion: () => {},
};

/**
 * Refuses, in one pass over the text and before any tree is built, the shapes that make XML
 * parsing expensive: deep nesting, very many elements, very long tags (thousands of attributes).
 * Comments, CDATA, processing instructions and quoted attribute values are skipped, so none can
 * fake a tag.
 */
function checkShape(text: string): void {
  let depth = 0;
  let elements = 0;
  let at = text.indexOf("<");
  while (at !== -1) {
    let end: number;
    if (text.startsWith("<!--", at)) end = text.indexOf("-->", at);
    else if (text.startsWith("<![CDATA[", at)) end = text.indexOf("]]>", at);
    else if (text.startsWith("<?", at)) end = text.indexOf("?>", at);
    else if (text.startsWith("</", at)) {
      depth -= 1;
      end = text.indexOf(">", at);
    } else {
      end = endOfTag(text, at);
      if (end - at > MAX_TAG_LENGTH)
        throw badBody(`An XML tag may be at most ${MAX_TAG_LENGTH} characters long`);
      if (++elements > MAX_BODY_ELEMENTS)
        throw badBody(`XML bodies may hold at most ${MAX_BODY_ELEMENTS} elements`);
      if (end !== -1 && text[end - 1] !== "/" && ++depth > MAX_BODY_DEPTH) {
        throw badBody(`XML elements nest deeper than ${MAX_BODY_DEPTH} levels`);
      }
    }
    // Unterminated markup: the validator that runs next says where.
    if (end === -1) return;
    at = text.indexOf("<", end);
  }
}

function endOfTag(text: string, start: number): number {
  let quote = "";
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index];
    if (quote) {
      if (char === quote) quote = "";
    } else if (char === '"' || char === "'") quote = char;
    else if (char === ">") return index;
  }
  return -1;
}

/** A parsed element: text, or an object of child elements (arrays where the schema has lists). */
export type XmlNode = string | { [name: string]: XmlNode | XmlNode[] };

/** Attributes come through with this prefix; only `xsi:nil` means something (see rest-model). */
export const XML_ATTRIBUTE_PREFIX = "@_";
export const XML_TEXT = "#text";

/**
 * Parses an XML request body into the content of its one root element. The checks run cheapest
 * first and before any tree is built: declarations, shape (depth, size), well-formedness. `listItems`
 * holds the dotted paths (`visitor.answers.answer`) of the elements that are list items in the
 * schema: they become arrays even when there is one of them, and only they do.
 */
export function parseXmlBody(text: string, root: string, listItems: ReadonlySet<string>): XmlNode {
  if (DECLARATION.test(text)) {
    throw badBody("DOCTYPE and other markup declarations (entities) are not allowed in XML bodies");
  }
  checkShape(text);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw badBody(`Malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: XML_ATTRIBUTE_PREFIX,
    textNodeName: XML_TEXT,
    ignoreDeclaration: true,
    ignorePiTags: true,
    // Strings stay strings ("007", "true"); the schema decides what a value is.
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    entityDecoder: strictEntities,
    maxNestedTags: MAX_BODY_DEPTH,
    isArray: (_name, path, _leaf, isAttribute) => !isAttribute && listItems.has(String(path)),
  });
  let document: Record<string, XmlNode>;
  try {
    document = parser.parse(text) as Record<string, XmlNode>;
  } catch (error) {
    if (error instanceof AppError) throw error;
    // The parser refuses names like __proto__ and constructor itself; its message is about the input.
    throw badBody(`Malformed XML: ${error instanceof Error ? error.message : "unreadable"}`);
  }
  const roots = Object.keys(document);
  const content = document[root];
  if (roots.length !== 1 || content === undefined || Array.isArray(content)) {
    throw badBody(`The body must be one <${root}> element`);
  }
  return content;
}
