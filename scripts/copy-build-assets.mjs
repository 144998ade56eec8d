// `npm run build` compiles TypeScript only; the server also reads these files relative to its own
// code at run time (migrations at start, the playground bundle, the XML Schemas in /openapi.json).
import { cpSync, existsSync } from "node:fs";

for (const path of ["schema/migrations", "assets/graphiql", "assets/console"]) {
  if (!existsSync(path)) throw new Error(`${path} is missing (npm run build creates the assets first)`);
  cpSync(path, `dist/${path}`, { recursive: true });
}
console.log("copied migrations, playground and console assets into dist/");
