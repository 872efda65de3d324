/**
 * Every emulated operation's responses, validated against GitHub's own OpenAPI description
 * (`@octokit/openapi`, api.github.com): the operation the request maps to, a documented status, the
 * documented content type and headers, and the body against that operation's schema. A mismatch fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubEmulatorApp } from "../../wrangler-free-local/github/index.ts";
import { responseCases } from "./cases.ts";
import { type Conformance, startConformance } from "./context.ts";
import { checkCase, type ResponseCase } from "./exchange.ts";

let conformance: Conformance;

beforeAll(async () => {
  conformance = await startConformance();
}, 60_000);

afterAll(async () => {
  await conformance?.fixture.stop();
});

function caseName(row: ResponseCase): string {
  return `${row.operationId} ${String(row.status)} (${row.label})`;
}

describe("GitHub emulator responses match GitHub's OpenAPI description", () => {
  it.each(responseCases.map((row) => [caseName(row), row] as const))("%s", async (_name, row) => {
    const { openapi, ctx } = conformance;
    const checked = await checkCase(openapi, ctx, row);
    if (checked.problems.length > 0) {
      expect.fail(
        `does not match GitHub's OpenAPI description:\n  - ${checked.problems.slice(0, 40).join("\n  - ")}`,
      );
    }
    row.expectBody?.(checked.body ?? checked.bodyText, checked.response);
  });

  it("covers every operation the emulator routes", () => {
    const { openapi, fixture } = conformance;
    const { state } = fixture.github;
    const { app } = createGitHubEmulatorApp({
      config: state.config,
      publicKey: state.publicKey,
      store: state.store,
    });
    const covered = new Set(responseCases.map((row) => `${row.method ?? "GET"} ${row.operationId}`));
    const undescribed = new Set(
      responseCases.flatMap((row) =>
        row.undescribedPath ? [`${row.method ?? "GET"} ${row.undescribedPath.route}`] : [],
      ),
    );
    const missing: string[] = [];
    for (const route of app.routes) {
      if (route.method === "ALL" || route.path.startsWith("/_emulator") || route.path === "/*") continue;
      // The manifest flow's create page is GitHub's web UI, not the REST API (test/setup drives it in a browser).
      if (route.path.startsWith("/organizations/:org/settings/apps/new")) continue;
      // A concrete path for the Hono pattern: each `:param` (with or without a `{regex}`) becomes one value.
      const concrete = route.path.replace(/:[A-Za-z_]+(\{[^}]*\})?/g, "x").replace(/\/$/, "/x");
      // `/contents` without a path is the root directory: the same operation as `/contents/{path}`.
      const operation =
        openapi.matchOperations(route.method, concrete)[0] ??
        openapi.matchOperations(route.method, `${concrete}/`)[0];
      if (!operation) {
        if (undescribed.has(`${route.method} ${route.path}`)) continue;
        missing.push(`${route.method} ${route.path}: no operation in GitHub's description`);
        continue;
      }
      if (!covered.has(`${route.method} ${operation.operationId}`)) {
        missing.push(`${route.method} ${route.path} (${operation.operationId})`);
      }
    }
    expect(missing, "emulated routes without a row in cases.ts").toEqual([]);
  });
});
