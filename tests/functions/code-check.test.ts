import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileCheck } from "@/src/services/functions/code-check.js";

describe("compileCheck", () => {
  it("accepts a valid module without running it", async () => {
    const result = await compileCheck("export default async function (ctx) {\n  while (true) {}\n}");
    assert.deepEqual(result, { ok: true });
  });

  it("reports a syntax error with its line and column", async () => {
    const result = await compileCheck(
      "export default async function (ctx) {\n  const a = 1;\n  return a +;\n}",
    );
    assert.deepEqual(result, {
      ok: false,
      message: "SyntaxError: unexpected token in expression: ';'",
      line: 3,
      column: 13,
    });
  });

  it("reports an unterminated string where it starts", async () => {
    const result = await compileCheck("export default async () => {\n  return 'open;\n};");
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.line === 2, JSON.stringify(result));
    assert.match(!result.ok ? result.message : "", /^SyntaxError: /);
  });

  it("reports await outside an async function as a syntax error", async () => {
    const result = await compileCheck("export default function () {\n  await 1;\n}");
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.line === 2, JSON.stringify(result));
  });

  it("reports deeply nested code as an error instead of overflowing the host stack, and keeps working", async () => {
    const result = await compileCheck(`export default () => ${"[".repeat(100_000)}${"]".repeat(100_000)};`);
    assert.deepEqual(result, {
      ok: false,
      message: "SyntaxError: the code is nested too deeply",
      line: 1,
      column: 1,
    });
    assert.deepEqual(await compileCheck("export default async () => 1;"), { ok: true });
  });
});
