#!/usr/bin/env node
/**
 * Builds the broker's runtime filesystem into a directory: what the Dockerfile's final stage copies to /app.
 * Kept out of the Dockerfile so it runs (and is tested) without Docker:
 *
 *   node scripts/build-image.mjs --out DIR [--policy FILE]
 *
 * DIR/dist/repogate.mjs   the CLI (`serve`, `doctor`, `policy`, `audit`), repogate's own code bundled by esbuild
 * DIR/node_modules        production dependencies only (npm ci --omit=dev, no install scripts)
 * DIR/policy.yaml         the repository policy (default infrastructure/policy.yaml), checked before it is kept
 *
 * The result never writes below DIR at run time; the broker's only writable path is /tmp.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const { values } = parseArgs({
  options: { out: { type: "string" }, policy: { type: "string", default: "infrastructure/policy.yaml" } },
});
if (!values.out) {
  process.stderr.write("usage: node scripts/build-image.mjs --out DIR [--policy FILE]\n");
  process.exit(2);
}
const out = path.resolve(values.out);
const existing = await readdir(out).catch((error) => (error.code === "ENOENT" ? [] : Promise.reject(error)));
if (existing.length > 0) {
  process.stderr.write(`build-image: ${out} is not empty; give a new or empty directory\n`);
  process.exit(2);
}
// A policy the broker would refuse fails the build, not the deployment (checked by the sources' CLI, first).
const policySource = path.resolve(root, values.policy);
try {
  await run(process.execPath, [path.join(root, "bin/repogate.js"), "policy", "check", policySource], {
    cwd: root,
  });
} catch (error) {
  process.stderr.write(
    `build-image: the policy ${values.policy} is refused:\n${error.stdout ?? ""}${error.stderr ?? ""}`,
  );
  process.exit(1);
}
await mkdir(path.join(out, "dist"), { recursive: true });

// `repogate local` starts the emulators, which are no part of a production image: it gets a clear error instead.
const withoutLocalStack = {
  name: "without-local-stack",
  setup(esbuild) {
    esbuild.onResolve({ filter: /wrangler-free-local\// }, (args) => ({
      path: args.path,
      namespace: "absent",
    }));
    esbuild.onLoad({ filter: /.*/, namespace: "absent" }, () => ({
      contents:
        'export function runLocalStack() { throw Object.assign(new Error("repogate local is not part of the production image; run it from a checkout"), { code: "LOCAL_STACK_ABSENT" }); }',
      loader: "js",
    }));
  },
};

await build({
  stdin: {
    contents: [
      'import { main } from "./src/cli/main.ts";',
      // `repogate audit query | head` closes the pipe early; that is the reader's choice, not an error.
      'process.stdout.on("error", (error) => { if (error.code === "EPIPE") process.exit(0); throw error; });',
      "await main(process.argv);",
    ].join("\n"),
    resolveDir: root,
    sourcefile: "image-entry.ts",
    loader: "ts",
  },
  outfile: path.join(out, "dist/repogate.mjs"),
  bundle: true,
  // Dependencies stay in node_modules (installed below); only repogate's own modules are bundled.
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  plugins: [withoutLocalStack],
  logLevel: "warning",
});

await copyFile(path.join(root, "package.json"), path.join(out, "package.json"));
await copyFile(path.join(root, "package-lock.json"), path.join(out, "package-lock.json"));
await run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
  cwd: out,
  maxBuffer: 16 * 1024 * 1024,
});

await copyFile(policySource, path.join(out, "policy.yaml"));
await writeFile(
  path.join(out, "BUILD.json"),
  `${JSON.stringify({ policy: values.policy, node: process.version }, null, 2)}\n`,
);
process.stdout.write(`build-image: ${out} ready (node ${path.join("dist", "repogate.mjs")} serve)\n`);
