/** The driver side of the bench processes: start one, wait for its ready line, ask it for CPU and RSS, stop it. */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { MemoryLimit } from "./memory-limit.ts";

export interface Usage {
  cpuMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface BenchProcess {
  name: string;
  pid: number;
  /** What the child printed in its ready line (URLs). */
  info: Record<string, unknown>;
  /** CPU time (user + system) and RSS, as the child itself measures them. */
  usage(): Promise<Usage>;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where bundles go: under node_modules (ignored by git), so their external imports resolve from the checkout. */
const BUNDLES = join(ROOT, "node_modules/.cache/repogate-bench");
const bundling = new Map<string, Promise<string>>();

/**
 * `bench/overhead/<script>` bundled by esbuild (dependencies stay external), the way the production image
 * runs repogate (scripts/build-image.mjs): plain `node`, no TypeScript loader transpiling in the measured
 * process. Built once per run and script.
 */
function bundle(script: string): Promise<string> {
  let built = bundling.get(script);
  if (!built) {
    const outfile = join(BUNDLES, script.replace(/\.ts$/, ".mjs"));
    built = build({
      entryPoints: [join(ROOT, "bench/overhead", script)],
      outfile,
      bundle: true,
      packages: "external",
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: true,
      logLevel: "warning",
    }).then(() => outfile);
    bundling.set(script, built);
  }
  return built;
}

export interface StartOptions {
  /** Extra Node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Run the script as an esbuild bundle on plain Node (the servers under test) instead of through tsx. */
  bundled?: boolean;
  /** Run the process in this memory cgroup (removed when the process has stopped). */
  memoryLimit?: MemoryLimit;
}

/** Starts `bench/overhead/<script>` on this Node binary and waits until it is ready. */
export async function startBenchProcess(
  name: string,
  script: string,
  options: unknown,
  start: StartOptions = {},
): Promise<BenchProcess> {
  const entry = start.bundled ? [await bundle(script)] : ["--import", "tsx", `bench/overhead/${script}`];
  const argv = [...(start.nodeArgs ?? []), "--enable-source-maps", ...entry, JSON.stringify(options)];
  const command = start.memoryLimit
    ? start.memoryLimit.wrap(process.execPath, argv)
    : { command: process.execPath, args: argv };
  const child = spawn(
    command.command,
    command.args,
    // The AWS SDK only ever talks to the local emulator, with fake credentials; never real ones.
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: "AKIDLOCALBENCH",
        AWS_SECRET_ACCESS_KEY: "local-bench-secret",
        AWS_SESSION_TOKEN: "",
        AWS_PROFILE: "",
        NODE_NO_WARNINGS: "1",
      },
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after 120 s: ${stderr}`)), 120_000);
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess["stdout"]> });
    lines.on("line", (line) => {
      if (!line.startsWith('{"ready":true')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as Record<string, unknown>);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  let asked = 0;
  const pending = new Map<number, (usage: Usage) => void>();
  child.on("message", (message) => {
    const reply = message as Usage & { id: number };
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  return {
    name,
    pid: child.pid as number,
    info,
    usage: () =>
      new Promise<Usage>((resolve) => {
        // Replies are matched by id: the RSS sampler's questions may be in flight at the same time.
        const id = ++asked;
        pending.set(id, resolve);
        child.send({ usage: id });
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.send("stop");
        const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        await exited;
        clearTimeout(killer);
      }
      await start.memoryLimit?.remove();
    },
  };
}
