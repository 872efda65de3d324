import type { RequestInput } from "./input.ts";
import type { AwsServiceName } from "./protocol.ts";
import type { StateStore } from "./state.ts";

/** What an operation handler knows about the request besides its input. */
export interface OperationContext {
  /** From the SigV4 credential scope of the request. */
  region: string;
  accountId: string;
  /** Milliseconds since the epoch; injectable so tests of time rules need no sleeping. */
  now(): number;
  store: StateStore;
  /** Marks the state as changed, so it is written to disk once the operation succeeds. */
  changed(): void;
}

/** One AWS operation: validated input in, JSON-ready output out (undefined for an empty body). */
export type OperationHandler = (input: RequestInput, context: OperationContext) => unknown | Promise<unknown>;

/** A service the emulator serves: its operations and the error code it uses for constraint failures. */
export interface ServiceDefinition {
  service: AwsServiceName;
  validationCode: string;
  operations: Record<string, OperationHandler>;
}
