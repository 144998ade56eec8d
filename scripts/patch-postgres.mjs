// postgres.js 3.4.9 can run a buffered write after its connection closed (the socket is null by
// then) and throw from a setImmediate callback, which no caller can catch: the process crashes,
// typically when the database goes away under load (porsager/postgres#1154, #1208; the guard of
// the open pull request #1168). The query concerned was already rejected as CONNECTION_CLOSED, so
// dropping the write is safe. Runs after every install; a no-op once the guard is there (here or
// upstream).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "node_modules", "postgres");
const UNGUARDED = "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)";
const GUARDED =
  "  function nextWrite(fn) {\n    if (!socket) return (nextWriteTimer !== null && clearImmediate(nextWriteTimer), chunk = nextWriteTimer = null, false)\n    const x = socket.write(chunk, fn)";

for (const file of ["src/connection.js", "cjs/src/connection.js", "cf/src/connection.js"].map((path) =>
  join(root, path),
)) {
  if (!existsSync(file)) continue;
  const source = readFileSync(file, "utf8");
  if (source.includes(GUARDED) || !source.includes(UNGUARDED)) continue;
  writeFileSync(file, source.replace(UNGUARDED, GUARDED));
  console.log(`patched ${file}: nextWrite guarded against a closed socket`);
}
