#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so `npm ci` is the only install step.
import { register } from "tsx/esm/api";

// `repogate audit query | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

// The AWS SDK prints a nine-line notice on Node < 22 in every command that loads it; one line says the same.
if (
  Number(process.versions.node.split(".")[0]) < 22 &&
  !process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  process.stderr.write(
    `repogate: Node ${process.versions.node} is past end of life and AWS SDK releases after January 2027 need Node 22+; use Node 24 (what production runs)\n`,
  );
}

register();
const { main } = await import("../src/cli/main.ts");
await main(process.argv);
