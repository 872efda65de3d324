/**
 * Write endpoints repogate must never reach with its read tokens. They exist so a write with a read
 * token gets GitHub's 403 `Resource not accessible by integration` (and an unseen repository 404).
 * The emulator's repositories are read-only, so even a write-capable token is refused.
 */
import { Hono } from "hono";
import { repositoryForCaller } from "../http/access.ts";
import type { EmulatorContext, EmulatorEnv } from "../http/context.ts";
import { GitHubApiError } from "../http/errors.ts";
import { readJsonBody } from "../http/json-body.ts";

const WRITES: Array<{ method: "put" | "post" | "patch" | "delete"; path: string; permission: string }> = [
  { method: "put", path: "/repos/:owner/:repo/contents/:path{.+}", permission: "contents" },
  { method: "delete", path: "/repos/:owner/:repo/contents/:path{.+}", permission: "contents" },
  { method: "post", path: "/repos/:owner/:repo/git/refs", permission: "contents" },
  { method: "patch", path: "/repos/:owner/:repo/git/refs/:ref{.+}", permission: "contents" },
  { method: "delete", path: "/repos/:owner/:repo/git/refs/:ref{.+}", permission: "contents" },
  { method: "post", path: "/repos/:owner/:repo/git/blobs", permission: "contents" },
  { method: "post", path: "/repos/:owner/:repo/git/trees", permission: "contents" },
  { method: "post", path: "/repos/:owner/:repo/git/commits", permission: "contents" },
  { method: "post", path: "/repos/:owner/:repo/git/tags", permission: "contents" },
  { method: "post", path: "/repos/:owner/:repo/merges", permission: "contents" },
  { method: "post", path: "/repos/:owner/:repo/pulls", permission: "pull_requests" },
  { method: "post", path: "/repos/:owner/:repo/issues", permission: "issues" },
  { method: "patch", path: "/repos/:owner/:repo", permission: "administration" },
  { method: "delete", path: "/repos/:owner/:repo", permission: "administration" },
];

function refuseWrite(permission: string) {
  return async (c: EmulatorContext) => {
    // GitHub reads the body first: a malformed one is 400 whatever the token may do.
    await readJsonBody(c);
    repositoryForCaller(c, c.req.param("owner") ?? "", c.req.param("repo") ?? "", {
      permission,
      level: "write",
    });
    throw new GitHubApiError(422, "The local GitHub emulator serves read-only repositories.", {
      code: "EMULATOR_READ_ONLY",
    });
  };
}

/** Write routes that answer with GitHub's authorization errors. */
export function writeRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();
  for (const write of WRITES) routes[write.method](write.path, refuseWrite(write.permission));
  return routes;
}
