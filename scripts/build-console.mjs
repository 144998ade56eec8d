// Builds the admin console (console/) into assets/console with Vite, which the server serves at
// /console. Without --force it builds only when the bundle is missing or older than any source, so
// `npm start` (prestart) and `npm test` (pretest) stay fast and work offline.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "console");
const outDir = join(root, "assets", "console");
const marker = join(outDir, "index.html");

/** The newest modification time of the console's sources and of what decides how they build. */
function newestSource() {
  let newest = Math.max(
    statSync(fileURLToPath(import.meta.url)).mtimeMs,
    statSync(join(root, "package-lock.json")).mtimeMs,
  );
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(source);
  return newest;
}

const force = process.argv.includes("--force");
if (!force && existsSync(marker) && statSync(marker).mtimeMs >= newestSource()) process.exit(0);

const { build } = await import("vite");
await build({
  root: source,
  base: "/console/",
  configFile: false,
  logLevel: process.env.CI ? "warn" : "info",
  // No plugin for Preact: Oxc compiles JSX to Preact's automatic runtime on its own.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: "assets",
    // Everything the page needs is in the bundle: no inlined data: URLs the CSP would have to allow.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
    // The bundler's timing report is for profiling the bundler, not for every `npm start`.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
