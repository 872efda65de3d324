import { randomUUID } from "node:crypto";
import { AWS_SERVICES, AwsServiceError, type AwsServiceName } from "./protocol.ts";

/**
 * What a fault does: `throttle` answers ThrottlingException (HTTP 400), `internal` the service's own 500 error
 * (KMSInternalException, InternalServiceError, ServiceUnavailableException for Logs), `unavailable` a 503
 * ServiceUnavailable, `latency` only delays the request by `latencyMs`, `denied` an AccessDeniedException (the
 * caller's IAM policy lacks the permission).
 */
export type FaultKind = "throttle" | "internal" | "unavailable" | "latency" | "denied";

export const FAULT_KINDS: readonly FaultKind[] = ["throttle", "internal", "unavailable", "latency", "denied"];

/** A fault to inject, as set in-process or with `POST /_emulator/faults`. */
export interface FaultSpec {
  service: AwsServiceName;
  kind: FaultKind;
  /** Only requests for this operation (e.g. "Sign"); all operations of the service when absent. */
  operation?: string;
  /** How many matching requests it hits; until cleared when absent. */
  count?: number;
  /** Delay for `latency` faults (and added before the error for the others when set). */
  latencyMs?: number;
}

/** An active fault with its id and how many hits it has left. */
export interface ActiveFault extends FaultSpec {
  id: string;
  remaining: number | null;
}

/** What a request must suffer: a delay, then possibly an error. */
export interface FaultOutcome {
  delayMs: number;
  error?: AwsServiceError;
}

const INTERNAL_ERRORS: Record<AwsServiceName, { code: string; message: string }> = {
  kms: { code: "KMSInternalException", message: "An internal error occurred." },
  secretsmanager: { code: "InternalServiceError", message: "An error occurred on the server side." },
  logs: { code: "ServiceUnavailableException", message: "The service cannot complete the request." },
};

function faultError(spec: FaultSpec): AwsServiceError | undefined {
  switch (spec.kind) {
    case "throttle":
      return new AwsServiceError("ThrottlingException", "Rate exceeded", 400);
    case "internal": {
      const internal = INTERNAL_ERRORS[spec.service];
      return new AwsServiceError(internal.code, internal.message, 500);
    }
    case "unavailable":
      return new AwsServiceError(
        "ServiceUnavailable",
        "Service is unavailable. Please try again later.",
        503,
      );
    case "denied":
      return new AwsServiceError(
        "AccessDeniedException",
        `User: arn:aws:iam::000000000000:user/local is not authorized to perform: ${spec.service}:${spec.operation ?? "*"} because no identity-based policy allows the ${spec.service}:${spec.operation ?? "*"} action`,
        400,
      );
    case "latency":
      return undefined;
  }
}

/** Thrown for a fault spec that names an unknown service or kind, or bad numbers. */
export class InvalidFaultSpecError extends Error {
  readonly code = "INVALID_FAULT_SPEC";
}

/** Checks an untrusted fault spec (from HTTP) and returns it typed. */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (value === null || typeof value !== "object")
    throw new InvalidFaultSpecError("fault spec must be an object");
  const raw = value as Record<string, unknown>;
  if (!AWS_SERVICES.includes(raw.service as AwsServiceName)) {
    throw new InvalidFaultSpecError(`service must be one of ${AWS_SERVICES.join(", ")}`);
  }
  if (!FAULT_KINDS.includes(raw.kind as FaultKind)) {
    throw new InvalidFaultSpecError(`kind must be one of ${FAULT_KINDS.join(", ")}`);
  }
  const spec: FaultSpec = { service: raw.service as AwsServiceName, kind: raw.kind as FaultKind };
  if (raw.operation !== undefined) {
    if (typeof raw.operation !== "string" || raw.operation === "") {
      throw new InvalidFaultSpecError("operation must be a non-empty string");
    }
    spec.operation = raw.operation;
  }
  for (const field of ["count", "latencyMs"] as const) {
    const n = raw[field];
    if (n === undefined) continue;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      throw new InvalidFaultSpecError(`${field} must be a non-negative integer`);
    }
    spec[field] = n;
  }
  if (spec.kind === "latency" && !spec.latencyMs)
    throw new InvalidFaultSpecError("latency faults need latencyMs");
  return spec;
}

/** The fault switch: tests set faults per service (and operation), each request consumes the ones that match. */
export class FaultController {
  private faults: ActiveFault[] = [];

  /** Adds a fault and returns it with its id (to clear it alone later). */
  set(spec: FaultSpec): ActiveFault {
    const fault: ActiveFault = { ...spec, id: randomUUID(), remaining: spec.count ?? null };
    this.faults.push(fault);
    return fault;
  }

  /** Clears one fault by id, every fault of a service, or everything. */
  clear(filter: { id?: string; service?: AwsServiceName } = {}): number {
    const before = this.faults.length;
    this.faults = this.faults.filter(
      (f) =>
        !(
          (filter.id === undefined || f.id === filter.id) &&
          (filter.service === undefined || f.service === filter.service)
        ),
    );
    return before - this.faults.length;
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Consumes the faults matching this request and says what to do; the first error-type fault wins. */
  take(service: AwsServiceName, operation: string): FaultOutcome {
    const outcome: FaultOutcome = { delayMs: 0 };
    for (const fault of this.faults) {
      if (fault.service !== service || (fault.operation !== undefined && fault.operation !== operation))
        continue;
      const error = faultError(fault);
      if (error && outcome.error) continue;
      outcome.delayMs += fault.latencyMs ?? 0;
      if (error) outcome.error = error;
      if (fault.remaining !== null) fault.remaining -= 1;
    }
    this.faults = this.faults.filter((f) => f.remaining === null || f.remaining > 0);
    return outcome;
  }
}

/** Counts requests per service and operation, so tests in other processes can assert e.g. how many Sign calls. */
export class CallCounter {
  private counts: Record<string, Record<string, number>> = {};

  record(service: AwsServiceName, operation: string): void {
    const perService = this.counts[service] ?? {};
    perService[operation] = (perService[operation] ?? 0) + 1;
    this.counts[service] = perService;
  }

  /** How many calls of one operation (or of the whole service) were received. */
  count(service: AwsServiceName, operation?: string): number {
    const perService = this.counts[service] ?? {};
    if (operation !== undefined) return perService[operation] ?? 0;
    return Object.values(perService).reduce((a, b) => a + b, 0);
  }

  snapshot(): Record<string, Record<string, number>> {
    return structuredClone(this.counts);
  }

  reset(): void {
    this.counts = {};
  }
}
