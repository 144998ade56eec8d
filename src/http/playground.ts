import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";
import { AppError } from "@/src/errors/app-error.js";

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "assets", "graphiql");
export const PLAYGROUND_ASSETS_PATH = "/graphql/assets";

// Monaco's workers by the language they serve; loaded from our own origin (no CDN, works offline).
const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Visit API playground</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${PLAYGROUND_ASSETS_PATH}/graphiql.css" />
    <style>html, body, #root { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <noscript>The playground needs JavaScript.</noscript>
    <div id="root"></div>
    <script>
      self.MonacoEnvironment = {
        getWorkerUrl(_moduleId, label) {
          const base = "${PLAYGROUND_ASSETS_PATH}/monacoeditorwork/";
          if (label === "json") return base + "json.worker.bundle.js";
          if (label === "graphql") return base + "graphql.worker..bundle.js";
          return base + "editor.worker.bundle.js";
        },
      };
    </script>
    <script src="${PLAYGROUND_ASSETS_PATH}/yoga-graphiql.umd.js"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector("#root"), {
        endpoint: "/graphql",
        title: "Visit API",
        defaultQuery: "# Log in with the login mutation, then add the token as a header:\\n# { \\"Authorization\\": \\"Bearer <token>\\" }\\n\\nquery Me {\\n  me { id email roles }\\n}\\n",
        headerEditorEnabled: true,
        shouldPersistHeaders: false,
      });
    </script>
  </body>
</html>
`;

/** A browser's GET /graphql: a GraphiQL page served entirely from the project's own assets. */
export function playgroundRouter(): Router {
  const router = express.Router();
  if (!existsSync(join(ASSETS, "yoga-graphiql.umd.js"))) {
    throw new Error(
      "Playground assets are missing: run `node scripts/playground-assets.mjs` (npm start does)",
    );
  }
  router.use(
    PLAYGROUND_ASSETS_PATH,
    express.static(ASSETS, { immutable: true, maxAge: "7d" }),
    // A missing asset is a 404 here: it must not fall through to `/graphql` (whose mount also
    // matches this path), and serve-static's own 404 error would surface as a 500.
    (req, _res, next) => next(new AppError("NOT_FOUND", `No playground asset at ${req.originalUrl}`)),
  );
  router.get("/graphql", (req, res, next) => {
    if (
      !req.accepts(["application/json", "text/html"]) ||
      req.accepts(["application/json", "text/html"]) !== "text/html"
    ) {
      return next();
    }
    res
      .type("html")
      .set(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
      )
      .send(PAGE);
  });
  return router;
}
