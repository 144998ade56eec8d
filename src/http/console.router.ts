import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";
import { AppError } from "@/src/errors/app-error.js";

/** Where `npm run build:console` (and prestart) puts the bundle; copied next to dist/ by `npm run build`. */
export const CONSOLE_BUNDLE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "assets", "console");
export const CONSOLE_PATH = "/console";

const YEAR_MS = 365 * 24 * 3_600_000;

/**
 * The console only talks to its own origin (POST /graphql) and loads only its own files. The code
 * editor (CodeMirror) adds <style> elements: they carry the response's nonce; nothing else is inline.
 */
export function consoleCsp(nonce: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** index.html with this response's nonce where the page reads it (`<meta name="csp-nonce">`). */
const withNonce = (html: string, nonce: string) =>
  html.replace("<head>", `<head>\n    <meta name="csp-nonce" content="${nonce}" />`);

/**
 * Serves the admin console: hashed assets with a year's immutable cache, index.html never cached
 * (a new deployment is picked up at once) and for every client route (/console/keys ...).
 * `GET /` redirects to the console. Without a built bundle the console answers 503 saying how to
 * build it; the API itself is unaffected.
 */
export function consoleRouter(bundle = CONSOLE_BUNDLE): Router {
  const router = express.Router();
  const indexPath = join(bundle, "index.html");
  let index: string | undefined;
  const page = () => {
    index ??= existsSync(indexPath) ? readFileSync(indexPath, "utf8") : undefined;
    return index;
  };

  router.get("/", (_req, res) => res.redirect(302, CONSOLE_PATH));

  router.use(
    `${CONSOLE_PATH}/assets`,
    express.static(join(bundle, "assets"), { immutable: true, maxAge: YEAR_MS, index: false }),
    // A missing asset is a 404, never index.html: a stale page asking for an old hash must fail clearly.
    (req, _res, next) => next(new AppError("NOT_FOUND", `No console asset at ${req.originalUrl}`)),
  );
  // The bundle's other files (the icon); index.html only through the route below, with its nonce.
  const files = express.static(bundle, { index: false, maxAge: 3_600_000, redirect: false });
  router.use(CONSOLE_PATH, (req, res, next) => (req.path.endsWith(".html") ? next() : files(req, res, next)));
  router.get([CONSOLE_PATH, `${CONSOLE_PATH}/*path`], (_req, res) => {
    const html = page();
    const nonce = randomBytes(16).toString("base64");
    res.set("Cache-Control", "no-cache").set("Content-Security-Policy", consoleCsp(nonce));
    if (!html) {
      res
        .status(503)
        .type("text/plain")
        .send("The console is not built: run `npm run build:console` (npm start does it when needed).\n");
      return;
    }
    res.type("html").send(withNonce(html, nonce));
  });
  return router;
}
