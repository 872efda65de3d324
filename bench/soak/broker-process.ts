/**
 * The broker as `repogate serve --config <file>` in a child process, the way it runs in production, so the soak
 * can stop it with SIGTERM mid-run and start it again. Its stdout/stderr (pino JSON lines) go to one log file
 * per run, which the soak later scans for secrets and for the times the audit sink was reported down.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { RepogateConfigInput } from "../../src/config/index.ts";
import { LOCAL_AWS_CREDENTIALS } from "./local-services.ts";

const CLI = fileURLToPath(new URL("../../bin/repogate.js", import.meta.url));

export interface BrokerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long the broker took from SIGTERM to exit. */
  stopMs: number;
}

/** A broker child process; `stop()` sends SIGTERM and resolves with how it exited. */
export interface BrokerProcess {
  readonly pid: number;
  stop(): Promise<BrokerExit>;
  /** Resolves when the process exits for any reason (a crash included). */
  readonly exited: Promise<BrokerExit>;
}

export interface StartBrokerOptions {
  config: RepogateConfigInput;
  configFile: string;
  /** Appended to: one file for every broker of the run. */
  logFile: string;
  /** The broker's base URL, polled on `/healthz` until it answers. */
  url: string;
  readyTimeoutMs?: number;
}

/** Writes the config file, starts `repogate serve` and resolves once `/healthz` answers 200. */
export async function startBroker(options: StartBrokerOptions): Promise<BrokerProcess> {
  await writeFile(options.configFile, JSON.stringify(options.config, null, 2), { mode: 0o600 });
  const log: WriteStream = createWriteStream(options.logFile, { flags: "a", mode: 0o600 });
  const child: ChildProcess = spawn(process.execPath, [CLI, "serve", "--config", options.configFile], {
    // Only what the broker needs: no REPOGATE_* override from the caller's shell, local AWS credentials only.
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let stopStarted = 0;
  const exited: Promise<BrokerExit> = once(child, "exit").then(async ([code, signal]) => {
    await new Promise<void>((resolve) => log.end(resolve));
    return {
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      stopMs: stopStarted ? Date.now() - stopStarted : 0,
    };
  });
  const processHandle: BrokerProcess = {
    pid: child.pid ?? -1,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        stopStarted = Date.now();
        child.kill("SIGTERM");
        // The broker's own shutdown deadline is 20 s for in-flight calls; past 60 s it is hung.
        const hung = setTimeout(() => child.kill("SIGKILL"), 60_000);
        try {
          return await exited;
        } finally {
          clearTimeout(hung);
        }
      }
      return exited;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  let crashed: BrokerExit | undefined;
  void exited.then((exit) => {
    crashed = exit;
  });
  for (;;) {
    if (crashed) {
      throw new Error(
        `the broker exited while starting (code ${crashed.code}, signal ${crashed.signal}); see ${options.logFile}`,
      );
    }
    try {
      const res = await fetch(`${options.url}/healthz`);
      await res.body?.cancel();
      if (res.ok) return processHandle;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await processHandle.stop();
      throw new Error(`the broker did not answer /healthz within the start timeout; see ${options.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
