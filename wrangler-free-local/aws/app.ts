import { Hono } from "hono";
import { parseSigV4Authorization } from "./auth.ts";
import { CallCounter, FaultController, InvalidFaultSpecError, parseFaultSpec } from "./faults.ts";
import { RequestInput } from "./input.ts";
import { kmsOperations } from "./kms/operations.ts";
import { logsOperations } from "./logs/operations.ts";
import type { OperationContext, ServiceDefinition } from "./operation.ts";
import {
  AWS_SERVICES,
  AwsServiceError,
  type AwsServiceName,
  errorResponse,
  jsonResponse,
  newRequestId,
  parseJsonBody,
  parseTarget,
} from "./protocol.ts";
import { secretsManagerOperations } from "./secrets-manager/operations.ts";
import type { StateStore } from "./state.ts";

/** What the AWS emulator's Hono app is built from. */
export interface AwsEmulatorAppOptions {
  store: StateStore;
  faults?: FaultController;
  calls?: CallCounter;
  /** Account id in every ARN; AWS's documentation placeholder 000000000000 by default. */
  accountId?: string;
  /** Used when a credential scope somehow carries no region; the scope's region wins otherwise. */
  defaultRegion?: string;
  /** Clock in epoch milliseconds, for tests of time rules. */
  now?: () => number;
}

const SERVICES: Record<AwsServiceName, ServiceDefinition> = {
  kms: { service: "kms", validationCode: "ValidationException", operations: kmsOperations },
  secretsmanager: {
    service: "secretsmanager",
    validationCode: "ValidationException",
    operations: secretsManagerOperations,
  },
  logs: { service: "logs", validationCode: "InvalidParameterException", operations: logsOperations },
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The AWS emulator as a Hono app: `POST /` with an `X-Amz-Target` header dispatches to KMS, Secrets Manager or
 * CloudWatch Logs (AWS JSON 1.1), and `/_emulator/*` holds the test controls (faults, call counts).
 */
export function createAwsEmulatorApp(options: AwsEmulatorAppOptions): {
  app: Hono;
  faults: FaultController;
  calls: CallCounter;
} {
  const faults = options.faults ?? new FaultController();
  const calls = options.calls ?? new CallCounter();
  const accountId = options.accountId ?? "000000000000";
  const now = options.now ?? Date.now;
  const app = new Hono();

  app.get("/_emulator/health", (c) => c.json({ ok: true, services: AWS_SERVICES }));
  app.get("/_emulator/faults", (c) => c.json({ faults: faults.list() }));
  app.post("/_emulator/faults", async (c) => {
    try {
      const fault = faults.set(parseFaultSpec(await c.req.json()));
      return c.json(fault, 201);
    } catch (error) {
      if (error instanceof InvalidFaultSpecError || error instanceof SyntaxError) {
        return c.json({ error: error.message }, 400);
      }
      throw error;
    }
  });
  app.delete("/_emulator/faults", (c) => {
    const service = c.req.query("service") as AwsServiceName | undefined;
    const id = c.req.query("id");
    return c.json({ cleared: faults.clear({ ...(service ? { service } : {}), ...(id ? { id } : {}) }) });
  });
  app.get("/_emulator/calls", (c) => c.json({ calls: calls.snapshot() }));
  app.post("/_emulator/reset-calls", (c) => {
    calls.reset();
    return c.json({ ok: true });
  });

  app.post("/", async (c) => {
    const requestId = newRequestId();
    const target = parseTarget(c.req.header("x-amz-target"));
    try {
      const credential = parseSigV4Authorization(c.req.header("authorization"));
      if (!target) {
        throw new AwsServiceError(
          "UnknownOperationException",
          `Unknown X-Amz-Target '${c.req.header("x-amz-target") ?? ""}'`,
        );
      }
      if (credential.service !== target.service) {
        throw new AwsServiceError(
          "InvalidSignatureException",
          `Credential should be scoped to correct service: '${target.service}'.`,
        );
      }
      calls.record(target.service, target.operation);
      const fault = faults.take(target.service, target.operation);
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault.error) throw fault.error;
      const definition = SERVICES[target.service];
      const handler = definition.operations[target.operation];
      if (!handler) {
        throw new AwsServiceError(
          "UnknownOperationException",
          `Operation ${target.operation} is not supported.`,
        );
      }
      const input = new RequestInput(parseJsonBody(await c.req.text()), definition.validationCode);
      let dirty = false;
      const context: OperationContext = {
        region: credential.region || options.defaultRegion || "us-east-1",
        accountId,
        now,
        store: options.store,
        changed: () => {
          dirty = true;
        },
      };
      const output = await handler(input, context);
      if (dirty) options.store.save();
      return jsonResponse(requestId, output);
    } catch (error) {
      if (error instanceof AwsServiceError) return errorResponse(requestId, error, target?.service);
      // An unexpected bug: answer as AWS does for its own failures, without leaking internals.
      console.error(`aws-emulator: ${target?.service}.${target?.operation} failed`, error);
      return errorResponse(
        requestId,
        new AwsServiceError(
          "InternalFailure",
          "The request processing has failed because of an unknown error.",
          500,
        ),
        target?.service,
      );
    }
  });

  return { app, faults, calls };
}
