import "reflect-metadata";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { printContract } from "@/src/graphql/schema.js";

// The committed schema/schema.graphql is the published contract: a change to the GraphQL API shows
// up in review as a change to that file.

describe("GraphQL contract", () => {
  it("schema/schema.graphql is exactly the schema the code serves", async () => {
    const committed = await readFile(new URL("../schema/schema.graphql", import.meta.url), "utf8");
    const served = await printContract();
    if (committed === served) return;
    const committedLines = committed.split("\n");
    const servedLines = served.split("\n");
    const differs = servedLines.findIndex((text, index) => text !== committedLines[index]);
    const line = differs === -1 ? servedLines.length : differs;
    assert.fail(
      [
        "schema/schema.graphql is stale: run `npm run schema:emit` and commit the result.",
        `First difference at line ${line + 1}:`,
        `  committed: ${JSON.stringify(committedLines[line] ?? "<end of file>")}`,
        `  served:    ${JSON.stringify(servedLines[line] ?? "<end of file>")}`,
      ].join("\n"),
    );
  });
});
