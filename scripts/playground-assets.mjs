// Extracts the self-contained GraphiQL bundle (dist/ only) of @graphql-yoga/graphiql into
// assets/graphiql, so the playground works offline without the package's ~250 MB of dependencies.
// The tarball is checked against a pinned integrity hash before anything is extracted.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "@graphql-yoga/graphiql@4.5.0";
const INTEGRITY =
  "sha512-mer2/6RUdSGxNXCcE2dccKjDvcvj4DxIdYDKkggS3ltHc/MenhdBwBr/fwMreC7mqTBtn25a/q9e2Hdn36WNJg==";
const FILES = ["yoga-graphiql.umd.js", "graphiql.css", "monacoeditorwork"];

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "assets", "graphiql");

if (FILES.every((file) => existsSync(join(target, file)))) process.exit(0);

const work = mkdtempSync(join(tmpdir(), "graphiql-"));
try {
  const name = execFileSync("npm", ["pack", PACKAGE, "--silent", "--pack-destination", work], {
    encoding: "utf8",
  }).trim();
  const tarball = join(work, name.split("\n").pop());
  const digest = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  if (digest !== INTEGRITY) throw new Error(`${PACKAGE}: integrity mismatch (${digest})`);
  execFileSync("tar", ["xzf", tarball, "-C", work]);
  const staging = `${target}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const file of FILES) renameSync(join(work, "package", "dist", file), join(staging, file));
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  console.log(`playground assets: ${PACKAGE} extracted to assets/graphiql`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
