import { listen } from "../service.ts";
import { createAwsEmulatorApp } from "./app.ts";
import type { CallCounter, FaultController } from "./faults.ts";
import { StateStore } from "./state.ts";

export type { AwsEmulatorAppOptions } from "./app.ts";
export { createAwsEmulatorApp } from "./app.ts";
export { CallCounter, FaultController, type FaultKind, type FaultSpec } from "./faults.ts";
export { type EmulatorState, StateStore } from "./state.ts";

/** Where and how to run the AWS emulator. */
export interface AwsEmulatorOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** State lives in `<dataDir>/aws/state.json`. */
  dataDir: string;
  /** Region clients should use; ARNs take the region of each request's credential scope. */
  region?: string;
  accountId?: string;
}

/** A running AWS emulator and its test controls. */
export interface RunningAwsEmulator {
  url: string;
  port: number;
  region: string;
  close(): Promise<void>;
  faults: FaultController;
  calls: CallCounter;
  state: StateStore;
}

/** Starts the KMS / Secrets Manager / CloudWatch Logs emulator on one port, with state loaded from the data dir. */
export async function startAwsEmulator(options: AwsEmulatorOptions): Promise<RunningAwsEmulator> {
  const state = StateStore.open(options.dataDir);
  const region = options.region ?? "us-east-1";
  const { app, faults, calls } = createAwsEmulatorApp({
    store: state,
    defaultRegion: region,
    ...(options.accountId ? { accountId: options.accountId } : {}),
  });
  const running = await listen("aws", app, {
    ...(options.host ? { host: options.host } : {}),
    port: options.port ?? 0,
  });
  return { url: running.url, port: running.port, region, close: running.close, faults, calls, state };
}
