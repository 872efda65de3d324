/** Shared pieces of the conformance table: paths, 304 set-up, fault arming, body checks. */
import { expect } from "vitest";
import type { FaultInput } from "../../wrangler-free-local/github/index.ts";
import type { CaseContext } from "./exchange.ts";

export type Obj = Record<string, unknown>;

export const WEB = "/repos/mycompany/web";

/** Reads an `etag` with a first request, for the 304 rows. */
export function ifNoneMatch(path: string, credential: "all" | "web") {
  return async (ctx: CaseContext) => {
    const first = await ctx.fetchWith(credential, path, {
      headers: { accept: "application/vnd.github+json" },
    });
    await first.text();
    const etag = first.headers.get("etag");
    expect(etag, `${path} must send an etag for the 304 row`).toBeTruthy();
    return { "if-none-match": etag ?? "" };
  };
}

/** Arms one fault for the row's single request and clears it afterwards, hit or not. */
export function withFault(input: FaultInput) {
  return (ctx: CaseContext) => {
    const fault = ctx.github.faults.add({ count: 1, ...input });
    return () => ctx.github.faults.clear(fault.id);
  };
}

export const contentType = (type: string) => (body: unknown) => expect((body as Obj).type).toBe(type);
export const compareStatus = (status: string) => (body: unknown) => expect((body as Obj).status).toBe(status);
