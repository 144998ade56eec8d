import { newQuickJSWASMModuleFromVariant, type QuickJSWASMModule, RELEASE_SYNC } from "quickjs-emscripten";

/** A host (Node) stack overflow while QuickJS parses or runs deeply nested code. */
export function isHostStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

export type CompileCheckResult = { ok: true } | { ok: false; message: string; line: number; column: number };

const STACK_BYTES = 256 * 1024;
// Parsing only: enough for any function source a caller would accept.
const MEMORY_BYTES = 64 * 1024 * 1024;

let module: Promise<QuickJSWASMModule> | undefined;

/**
 * Parses function code as an ES module without running any of it, for save-time feedback. Runs in
 * the caller's thread: compiling is bounded by the code's size, so callers should cap that.
 */
export async function compileCheck(code: string): Promise<CompileCheckResult> {
  module ??= newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
  const quickjs = await module;
  try {
    return compileIn(quickjs, code);
  } catch (error) {
    // A host stack overflow leaves the module's C stack mid-call: drop it, the next check loads another.
    module = undefined;
    if (!isHostStackOverflow(error)) throw error;
    return { ok: false, message: "SyntaxError: the code is nested too deeply", line: 1, column: 1 };
  }
}

function compileIn(quickjs: QuickJSWASMModule, code: string): CompileCheckResult {
  const runtime = quickjs.newRuntime();
  runtime.setMaxStackSize(STACK_BYTES);
  runtime.setMemoryLimit(MEMORY_BYTES);
  const vm = runtime.newContext();
  const result = vm.evalCode(code, "function.js", { type: "module", compileOnly: true });
  if (!result.error) {
    result.value.dispose();
    vm.dispose();
    runtime.dispose();
    return { ok: true };
  }
  const error = result.error.consume((handle) => vm.dump(handle)) as {
    name?: string;
    message?: string;
    stack?: string;
    lineNumber?: number;
  };
  vm.dispose();
  runtime.dispose();
  // QuickJS reports the position as the first stack frame: "    at function.js:LINE:COLUMN".
  const position = /function\.js:(\d+):(\d+)/.exec(error.stack ?? "");
  return {
    ok: false,
    message: `${error.name ?? "SyntaxError"}: ${error.message ?? String(error)}`,
    line: position ? Number(position[1]) : (error.lineNumber ?? 1),
    column: position ? Number(position[2]) : 1,
  };
}
