import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KmsState } from "./kms/model.ts";
import type { LogsState } from "./logs/model.ts";
import type { SecretsState } from "./secrets-manager/model.ts";

/** Everything the emulator remembers: keys (with private key material), aliases, secrets, log groups and events. */
export interface EmulatorState {
  version: 1;
  kms: KmsState;
  secretsManager: SecretsState;
  logs: LogsState;
}

/** A state with nothing in it, for a new data directory. */
export function emptyState(): EmulatorState {
  return {
    version: 1,
    kms: { keys: {}, aliases: {}, importParameters: {} },
    secretsManager: { secrets: {} },
    logs: { groups: {} },
  };
}

/** Thrown when `<dataDir>/aws/state.json` exists but cannot be read back. */
export class StateFileError extends Error {
  readonly code = "AWS_EMULATOR_STATE_UNREADABLE";
}

/**
 * Holds the emulator state in memory and writes it to `<dataDir>/aws/state.json` after each change. The file holds
 * private keys, so it is written with mode 0600 (directory 0700), through a temporary file and a rename so that a
 * crash never leaves half a file.
 */
export class StateStore {
  readonly path: string;
  readonly state: EmulatorState;

  private constructor(path: string, state: EmulatorState) {
    this.path = path;
    this.state = state;
  }

  /** Loads the state of a data directory, or starts empty when there is none yet. */
  static open(dataDir: string): StateStore {
    const dir = join(dataDir, "aws");
    const path = join(dir, "state.json");
    if (!existsSync(path)) return new StateStore(path, emptyState());
    let parsed: EmulatorState;
    try {
      parsed = JSON.parse(readFileSync(path, "utf8")) as EmulatorState;
    } catch (error) {
      throw new StateFileError(
        `Cannot read the AWS emulator state at ${path} (${(error as Error).message}); move it away to start empty.`,
      );
    }
    if (parsed.version !== 1) {
      throw new StateFileError(`Unknown AWS emulator state version in ${path}; move it away to start empty.`);
    }
    const state = { ...emptyState(), ...parsed };
    return new StateStore(path, state);
  }

  /** Writes the whole state atomically; called after every request that changed it. */
  save(): void {
    const dir = join(this.path, "..");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temp, JSON.stringify(this.state), { mode: 0o600 });
    // writeFileSync's mode only applies to new files and is masked by the umask: make sure.
    chmodSync(temp, 0o600);
    renameSync(temp, this.path);
  }
}
