// Preload (`node --import tsx --import <this file>`): records every module the process loads and, at exit, writes
// their URLs one per line to the file named by REPOGATE_MODULE_TRACE. ES modules are seen by a resolve hook
// registered after tsx's (so it sees the URL tsx settled on); CommonJS modules are read from require.cache.
import { writeFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { pathToFileURL } from "node:url";
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";

const tracePath = process.env.REPOGATE_MODULE_TRACE;
if (!tracePath) throw new Error("module-recorder.mjs needs REPOGATE_MODULE_TRACE (the file to write)");

const { port1, port2 } = new MessageChannel();
register("./module-recorder-hooks.mjs", import.meta.url, { data: { port: port2 }, transferList: [port2] });

process.on("exit", () => {
  const urls = new Set();
  // Drained synchronously: each resolve posted its URL before the import it served could go on.
  for (let message = receiveMessageOnPort(port1); message; message = receiveMessageOnPort(port1)) {
    urls.add(message.message);
  }
  for (const path of Object.keys(createRequire(import.meta.url).cache)) urls.add(pathToFileURL(path).href);
  writeFileSync(tracePath, [...urls].join("\n"));
});
