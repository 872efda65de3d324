/**
 * The fault switch: makes the emulator misbehave the way GitHub does under load, for the next N
 * matching requests or until cleared, so clients' retry and throttling paths can be tested.
 */
import { z } from "zod";

export const faultSpecSchema = z
  .object({
    kind: z.enum(["secondary-rate-limit", "primary-rate-limit", "server-error", "latency"]),
    /** Only requests whose path starts with this (e.g. `/repos/mycompany/web`). */
    pathPrefix: z.string().startsWith("/").optional(),
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .optional(),
    /** Number of matching requests to affect; absent = until cleared. */
    count: z.number().int().positive().optional(),
    /** secondary-rate-limit: 403 (default) or 429; server-error: 500–599 (default 502). */
    status: z.number().int().min(400).max(599).optional(),
    /** secondary-rate-limit: `retry-after` seconds (default 60; 0 omits the header). primary: seconds to reset. */
    retryAfterSeconds: z.number().int().min(0).optional(),
    /** latency: milliseconds added before the request is handled. */
    latencyMs: z.number().int().min(0).max(120_000).optional(),
  })
  .refine((f) => f.kind !== "latency" || f.latencyMs !== undefined, { message: "latency needs latencyMs" })
  .refine((f) => f.kind !== "secondary-rate-limit" || !f.status || f.status === 403 || f.status === 429, {
    message: "secondary-rate-limit status is 403 or 429",
  })
  .refine((f) => f.kind !== "server-error" || !f.status || f.status >= 500, {
    message: "server-error status is 500-599",
  });

export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultInput = z.input<typeof faultSpecSchema>;

export interface ActiveFault extends FaultSpec {
  id: number;
  /** Requests still to affect (undefined = until cleared). */
  remaining: number | undefined;
  /** Requests affected so far. */
  hits: number;
}

/** Holds the active faults; the request pipeline asks it what to do with each request. */
export class FaultSwitch {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  /** Activates a fault and returns it (validated; throws a ZodError on a bad spec). */
  add(input: FaultInput): ActiveFault {
    const spec = faultSpecSchema.parse(input);
    const fault: ActiveFault = { ...spec, id: this.nextId++, remaining: spec.count, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  /** Removes one fault by id, or all of them. */
  clear(id?: number): void {
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
  }

  /** The active faults. */
  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /**
   * Consumes the faults that apply to a request: the total latency to add and at most one failing
   * fault (the first that matches), each counted against its `count`.
   */
  take(
    method: string,
    path: string,
  ): { latencyMs: number; failure: ActiveFault | undefined; applied: string[] } {
    let latencyMs = 0;
    let failure: ActiveFault | undefined;
    const applied: string[] = [];
    for (const fault of this.faults) {
      if (fault.method && fault.method !== method.toUpperCase()) continue;
      if (fault.pathPrefix && !path.startsWith(fault.pathPrefix)) continue;
      if (fault.kind === "latency") latencyMs += fault.latencyMs ?? 0;
      else if (failure) continue;
      else failure = fault;
      fault.hits++;
      applied.push(fault.kind);
      if (fault.remaining !== undefined) fault.remaining--;
    }
    this.faults = this.faults.filter((f) => f.remaining === undefined || f.remaining > 0);
    return { latencyMs, failure: failure ? { ...failure } : undefined, applied };
  }
}
