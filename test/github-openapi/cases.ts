/** The requests the OpenAPI conformance test sends: every emulated operation, success and error statuses. */
import { expect } from "vitest";
import type { FaultInput } from "../../wrangler-free-local/github/index.ts";
import type { CaseContext, ResponseCase } from "./exchange.ts";

type Obj = Record<string, unknown>;

const WEB = "/repos/mycompany/web";
const NOT_INSTALLED = "GitHub answers 404 Not Found for an account without an installation";

/** Reads an `etag` with a first request, for the 304 rows. */
function ifNoneMatch(path: string, credential: "all" | "web") {
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
function withFault(input: FaultInput) {
  return (ctx: CaseContext) => {
    const fault = ctx.github.faults.add({ count: 1, ...input });
    return () => ctx.github.faults.clear(fault.id);
  };
}

const contentType = (type: string) => (body: unknown) => expect((body as Obj).type).toBe(type);
const compareStatus = (status: string) => (body: unknown) => expect((body as Obj).status).toBe(status);

const appCases: ResponseCase[] = [
  { operationId: "apps/get-authenticated", status: 200, label: "the App", path: "/app", auth: "app" },
  {
    operationId: "apps/get-authenticated",
    status: 401,
    label: "installation token instead of a JWT",
    path: "/app",
    auth: "all",
    undocumented: "GitHub answers a non-JWT credential on App endpoints with 401",
  },
  {
    operationId: "apps/list-installations",
    status: 200,
    label: "all installations",
    path: "/app/installations",
    auth: "app",
    expectBody: (body) => expect((body as unknown[]).length).toBe(3),
  },
  {
    operationId: "apps/get-installation",
    status: 200,
    label: "mycompany",
    path: "/app/installations/2001",
    auth: "app",
  },
  {
    operationId: "apps/get-installation",
    status: 404,
    label: "unknown id",
    path: "/app/installations/999999",
    auth: "app",
  },
  {
    operationId: "apps/get-org-installation",
    status: 200,
    label: "mycompany",
    path: "/orgs/mycompany/installation",
    auth: "app",
  },
  {
    operationId: "apps/get-org-installation",
    status: 404,
    label: "othercorp (not installed)",
    path: "/orgs/othercorp/installation",
    auth: "app",
    undocumented: NOT_INSTALLED,
  },
  {
    operationId: "apps/get-user-installation",
    status: 200,
    label: "facebook",
    path: "/users/facebook/installation",
    auth: "app",
  },
  {
    operationId: "apps/get-user-installation",
    status: 404,
    label: "othercorp (not installed)",
    path: "/users/othercorp/installation",
    auth: "app",
    undocumented: NOT_INSTALLED,
  },
  {
    operationId: "apps/get-repo-installation",
    status: 200,
    label: "mycompany/web",
    path: `${WEB}/installation`,
    auth: "app",
  },
  {
    operationId: "apps/get-repo-installation",
    status: 404,
    label: "partner-org/private-tools (not selected)",
    path: "/repos/partner-org/private-tools/installation",
    auth: "app",
  },
  {
    operationId: "apps/get-repo-installation",
    status: 404,
    label: "othercorp/secret",
    path: "/repos/othercorp/secret/installation",
    auth: "app",
  },
];

const MINT = "apps/create-installation-access-token";
const tokenCases: ResponseCase[] = [
  {
    operationId: MINT,
    status: 201,
    label: "narrowed to one repository and contents read",
    method: "POST",
    path: "/app/installations/2001/access_tokens",
    auth: "app",
    body: { repositories: ["web"], permissions: { contents: "read" } },
    expectBody: (body) => expect((body as { repositories: unknown[] }).repositories).toHaveLength(1),
  },
  {
    operationId: MINT,
    status: 201,
    label: "whole installation",
    method: "POST",
    path: "/app/installations/2002/access_tokens",
    auth: "app",
    expectBody: (body) => expect((body as Obj).repository_selection).toBe("selected"),
  },
  {
    operationId: MINT,
    status: 201,
    label: "by repository_ids",
    method: "POST",
    path: "/app/installations/2001/access_tokens",
    auth: "app",
    body: (ctx: CaseContext) => ({ repository_ids: [ctx.webRepoId], permissions: { metadata: "read" } }),
  },
  {
    operationId: MINT,
    status: 422,
    label: "repository outside the installation",
    method: "POST",
    path: "/app/installations/2003/access_tokens",
    auth: "app",
    body: { repositories: ["private-tools"] },
  },
  {
    operationId: MINT,
    status: 422,
    label: "permission above the grant",
    method: "POST",
    path: "/app/installations/2001/access_tokens",
    auth: "app",
    body: { permissions: { contents: "write" } },
  },
  {
    operationId: MINT,
    status: 422,
    label: "repositories is not an array",
    method: "POST",
    path: "/app/installations/2001/access_tokens",
    auth: "app",
    body: { repositories: "web" },
  },
  {
    operationId: MINT,
    status: 400,
    label: "body is not JSON",
    method: "POST",
    path: "/app/installations/2001/access_tokens",
    auth: "app",
    body: "{not json",
    undocumented: "GitHub answers an unparsable body with 400 Problems parsing JSON on every endpoint",
  },
  {
    operationId: MINT,
    status: 404,
    label: "unknown installation",
    method: "POST",
    path: "/app/installations/999999/access_tokens",
    auth: "app",
  },
  {
    operationId: MINT,
    status: 401,
    label: "undecodable JWT",
    method: "POST",
    path: "/app/installations/2001/access_tokens",
    auth: "bad-jwt",
  },
  {
    operationId: "apps/revoke-installation-access-token",
    status: 204,
    label: "revoke",
    method: "DELETE",
    path: "/installation/token",
    auth: "fresh",
  },
  {
    operationId: "apps/list-repos-accessible-to-installation",
    status: 200,
    label: "whole installation",
    path: "/installation/repositories",
    auth: "all",
  },
  {
    operationId: "apps/list-repos-accessible-to-installation",
    status: 200,
    label: "narrowed token",
    path: "/installation/repositories",
    auth: "web",
    expectBody: (body) => expect((body as Obj).total_count).toBe(1),
  },
  {
    operationId: "apps/list-repos-accessible-to-installation",
    status: 304,
    label: "If-None-Match",
    path: "/installation/repositories",
    auth: "all",
    headers: ifNoneMatch("/installation/repositories", "all"),
  },
  {
    operationId: "apps/list-repos-accessible-to-installation",
    status: 401,
    label: "no credentials",
    path: "/installation/repositories",
    auth: "none",
  },
  {
    operationId: "apps/list-repos-accessible-to-installation",
    status: 401,
    label: "revoked token",
    path: "/installation/repositories",
    auth: "revoked",
  },
  {
    operationId: "rate-limit/get",
    status: 200,
    label: "installation token",
    path: "/rate_limit",
    auth: "all",
  },
];

const repoCases: ResponseCase[] = [
  { operationId: "repos/get", status: 200, label: "mycompany/web", path: WEB, auth: "web" },
  {
    operationId: "repos/get",
    status: 200,
    label: "facebook/react",
    path: "/repos/facebook/react",
    auth: "react",
  },
  {
    operationId: "repos/get",
    status: 404,
    label: "not in the token",
    path: "/repos/mycompany/api-server",
    auth: "web",
  },
  {
    operationId: "repos/get",
    status: 401,
    label: "unknown token",
    path: WEB,
    auth: "bad-token",
    undocumented: "GitHub answers an unknown token with 401 Bad credentials on every endpoint",
  },
  {
    operationId: "repos/list-branches",
    status: 200,
    label: "all branches",
    path: `${WEB}/branches`,
    auth: "web",
  },
  {
    operationId: "repos/list-branches",
    status: 404,
    label: "not in the token",
    path: "/repos/mycompany/api-server/branches",
    auth: "web",
  },
  { operationId: "repos/get-branch", status: 200, label: "main", path: `${WEB}/branches/main`, auth: "web" },
  {
    operationId: "repos/get-branch",
    status: 200,
    label: "feature/x",
    path: `${WEB}/branches/feature/x`,
    auth: "web",
  },
  {
    operationId: "repos/get-branch",
    status: 404,
    label: "missing branch",
    path: `${WEB}/branches/nope`,
    auth: "web",
  },
  {
    operationId: "repos/list-languages",
    status: 200,
    label: "mycompany/web",
    path: `${WEB}/languages`,
    auth: "web",
  },
  {
    operationId: "repos/list-commits",
    status: 200,
    label: "first page with Link",
    path: `${WEB}/commits?per_page=5`,
    auth: "web",
    expectBody: (_body, response) => expect(response.headers.get("link")).toContain('rel="next"'),
  },
  {
    operationId: "repos/list-commits",
    status: 200,
    label: "by path",
    path: `${WEB}/commits?path=README.md&sha=stable`,
    auth: "web",
  },
  {
    operationId: "repos/list-commits",
    status: 400,
    label: "invalid since",
    path: `${WEB}/commits?since=not-a-date`,
    auth: "web",
  },
  {
    operationId: "repos/list-commits",
    status: 404,
    label: "unknown sha",
    path: `${WEB}/commits?sha=nope`,
    auth: "web",
  },
  {
    operationId: "repos/get-commit",
    status: 200,
    label: "branch name",
    path: `${WEB}/commits/main`,
    auth: "web",
  },
  {
    operationId: "repos/get-commit",
    status: 200,
    label: "by sha",
    path: (ctx) => `${WEB}/commits/${ctx.webMainSha}`,
    auth: "web",
  },
  {
    operationId: "repos/get-commit",
    status: 200,
    label: "diff media type",
    path: `${WEB}/commits/main`,
    auth: "web",
    accept: "application/vnd.github.diff",
  },
  {
    operationId: "repos/get-commit",
    status: 200,
    label: "patch media type",
    path: `${WEB}/commits/main`,
    auth: "web",
    accept: "application/vnd.github.v3.patch",
  },
  {
    operationId: "repos/get-commit",
    status: 200,
    label: "sha media type",
    path: `${WEB}/commits/main`,
    auth: "web",
    accept: "application/vnd.github.sha",
  },
  {
    operationId: "repos/get-commit",
    status: 422,
    label: "unknown ref",
    path: `${WEB}/commits/nope`,
    auth: "web",
  },
  {
    operationId: "git/get-tree",
    status: 200,
    label: "root tree",
    path: (ctx) => `${WEB}/git/trees/${ctx.webRootTreeSha}`,
    auth: "web",
  },
  {
    operationId: "git/get-tree",
    status: 200,
    label: "recursive by branch",
    path: `${WEB}/git/trees/main?recursive=1`,
    auth: "web",
    expectBody: (body) =>
      expect(((body as { tree: Obj[] }).tree ?? []).some((e) => e.type === "commit")).toBe(true),
  },
  {
    operationId: "git/get-tree",
    status: 404,
    label: "unknown sha",
    path: `${WEB}/git/trees/0123456789012345678901234567890123456789`,
    auth: "web",
  },
];

const GET_CONTENT = "repos/get-content";
const contentCases: ResponseCase[] = [
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "file",
    path: `${WEB}/contents/README.md`,
    auth: "web",
    expectBody: contentType("file"),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "file at a tag",
    path: `${WEB}/contents/README.md?ref=v1.0.0`,
    auth: "web",
    expectBody: contentType("file"),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "directory",
    path: `${WEB}/contents/src`,
    auth: "web",
    expectBody: (body) => expect(Array.isArray(body)).toBe(true),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "repository root",
    path: `${WEB}/contents/`,
    auth: "web",
    expectBody: (body) => expect(Array.isArray(body)).toBe(true),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "directory, object media type",
    path: `${WEB}/contents/docs`,
    auth: "web",
    accept: "application/vnd.github.object",
    expectBody: contentType("dir"),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "symlink to a file (followed)",
    path: `${WEB}/contents/docs/CHANGELOG.md`,
    auth: "web",
    expectBody: contentType("file"),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "submodule",
    path: `${WEB}/contents/vendor/design-tokens`,
    auth: "web",
    expectBody: contentType("submodule"),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "file over 1 MiB",
    path: `${WEB}/contents/test/fixtures/large/dataset.txt`,
    auth: "web",
    expectBody: (body) => expect((body as Obj).encoding).toBe("none"),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "binary file",
    path: `${WEB}/contents/public/images/logo.png`,
    auth: "web",
    expectBody: contentType("file"),
  },
  {
    operationId: GET_CONTENT,
    status: 200,
    label: "non-ASCII name",
    path: `${WEB}/contents/docs/i18n/${encodeURIComponent("übersicht.md")}`,
    auth: "web",
    expectBody: contentType("file"),
  },
  {
    operationId: GET_CONTENT,
    status: 304,
    label: "If-None-Match",
    path: `${WEB}/contents/README.md`,
    auth: "web",
    headers: ifNoneMatch(`${WEB}/contents/README.md`, "web"),
  },
  {
    operationId: GET_CONTENT,
    status: 403,
    label: "blob above the API limit",
    path: `${WEB}/contents/test/fixtures/large/dataset.txt`,
    auth: "web",
    around: (ctx) => {
      const { limits } = ctx.github.state;
      const before = limits.blobApiBytes;
      limits.blobApiBytes = 1024;
      return () => {
        limits.blobApiBytes = before;
      };
    },
  },
  {
    operationId: GET_CONTENT,
    status: 404,
    label: "missing path",
    path: `${WEB}/contents/nope.txt`,
    auth: "web",
  },
  {
    operationId: GET_CONTENT,
    status: 404,
    label: "not in the token",
    path: "/repos/mycompany/api-server/contents/README.md",
    auth: "web",
  },
  { operationId: "repos/get-readme", status: 200, label: "root README", path: `${WEB}/readme`, auth: "web" },
  {
    operationId: "repos/get-readme",
    status: 304,
    label: "If-None-Match",
    path: `${WEB}/readme`,
    auth: "web",
    headers: ifNoneMatch(`${WEB}/readme`, "web"),
  },
  {
    operationId: "repos/get-readme",
    status: 404,
    label: "unknown ref",
    path: `${WEB}/readme?ref=nope`,
    auth: "web",
  },
  {
    operationId: "repos/get-readme-in-directory",
    status: 200,
    label: "test/fixtures at stable",
    path: `${WEB}/readme/test/fixtures?ref=stable`,
    auth: "web",
  },
  {
    operationId: "repos/get-readme-in-directory",
    status: 404,
    label: "directory without README",
    path: `${WEB}/readme/src`,
    auth: "web",
  },
];

const BASEHEAD = "repos/compare-commits-with-basehead";
const compareCases: ResponseCase[] = [
  {
    operationId: BASEHEAD,
    status: 200,
    label: "ahead",
    path: `${WEB}/compare/stable...main`,
    auth: "web",
    expectBody: compareStatus("ahead"),
  },
  {
    operationId: BASEHEAD,
    status: 200,
    label: "behind",
    path: `${WEB}/compare/main...stable`,
    auth: "web",
    expectBody: compareStatus("behind"),
  },
  {
    operationId: BASEHEAD,
    status: 200,
    label: "diverged, head with a slash",
    path: `${WEB}/compare/main...hotfix/1.0.1`,
    auth: "web",
    expectBody: compareStatus("diverged"),
  },
  {
    operationId: BASEHEAD,
    status: 200,
    label: "identical",
    path: `${WEB}/compare/main...main`,
    auth: "web",
    expectBody: compareStatus("identical"),
  },
  {
    operationId: BASEHEAD,
    status: 200,
    label: "paged",
    path: `${WEB}/compare/v0.9.0...main?per_page=2`,
    auth: "web",
  },
  {
    operationId: "repos/compare-commits",
    status: 200,
    label: "ahead (the {base}...{head} form)",
    path: `${WEB}/compare/stable...main`,
    auth: "web",
    expectBody: compareStatus("ahead"),
  },
  {
    operationId: BASEHEAD,
    status: 200,
    label: "diff media type",
    path: `${WEB}/compare/stable...main`,
    auth: "web",
    accept: "application/vnd.github.diff",
  },
  {
    operationId: BASEHEAD,
    status: 200,
    label: "patch media type",
    path: `${WEB}/compare/stable...main`,
    auth: "web",
    accept: "application/vnd.github.patch",
  },
  {
    operationId: BASEHEAD,
    status: 404,
    label: "unknown ref",
    path: `${WEB}/compare/main...nope`,
    auth: "web",
  },
  {
    operationId: BASEHEAD,
    status: 404,
    label: "no common ancestor",
    path: `${WEB}/compare/main...gh-pages`,
    auth: "web",
  },
];

const SEARCH = "search/code";
const searchCases: ResponseCase[] = [
  {
    operationId: SEARCH,
    status: 200,
    label: "term with repo:",
    path: `/search/code?q=${encodeURIComponent("formatCurrency repo:mycompany/web")}`,
    auth: "all",
    expectBody: (body) => expect((body as Obj).total_count).toBeGreaterThan(0),
  },
  {
    operationId: SEARCH,
    status: 200,
    label: "term with org:, text-match media type",
    path: `/search/code?q=${encodeURIComponent("export org:mycompany")}&per_page=5`,
    auth: "all",
    accept: "application/vnd.github.text-match+json",
  },
  { operationId: SEARCH, status: 422, label: "no query", path: "/search/code?q=", auth: "all" },
  {
    operationId: SEARCH,
    status: 422,
    label: "repository the token cannot see",
    path: `/search/code?q=${encodeURIComponent("secret repo:othercorp/secret")}`,
    auth: "all",
  },
  {
    operationId: SEARCH,
    status: 403,
    label: "token without contents read",
    path: `/search/code?q=${encodeURIComponent("formatCurrency")}`,
    auth: "metadata-only",
  },
];

const faultCases: ResponseCase[] = [
  {
    operationId: "repos/get",
    status: 403,
    label: "secondary rate limit",
    path: WEB,
    auth: "web",
    around: withFault({ kind: "secondary-rate-limit", pathPrefix: WEB, status: 403, retryAfterSeconds: 5 }),
    expectBody: (_body, response) => expect(response.headers.get("retry-after")).toBe("5"),
  },
  {
    operationId: "repos/get",
    status: 429,
    label: "secondary rate limit as 429",
    path: WEB,
    auth: "web",
    around: withFault({ kind: "secondary-rate-limit", pathPrefix: WEB, status: 429, retryAfterSeconds: 5 }),
    undocumented: "GitHub's rate-limit guide documents 429 for secondary limits on any endpoint",
  },
  {
    operationId: "repos/get",
    status: 403,
    label: "primary rate limit",
    path: WEB,
    auth: "web",
    around: withFault({ kind: "primary-rate-limit", pathPrefix: WEB }),
    expectBody: (_body, response) => expect(response.headers.get("x-ratelimit-remaining")).toBe("0"),
  },
  {
    operationId: "repos/list-commits",
    status: 500,
    label: "server error",
    path: `${WEB}/commits`,
    auth: "web",
    around: withFault({ kind: "server-error", pathPrefix: `${WEB}/commits`, status: 500 }),
  },
  {
    operationId: "repos/get-commit",
    status: 503,
    label: "service unavailable",
    path: `${WEB}/commits/main`,
    auth: "web",
    around: withFault({ kind: "server-error", pathPrefix: `${WEB}/commits`, status: 503 }),
  },
  {
    operationId: "search/code",
    status: 503,
    label: "service unavailable",
    path: `/search/code?q=${encodeURIComponent("formatCurrency")}`,
    auth: "all",
    around: withFault({ kind: "server-error", pathPrefix: "/search/code", status: 503 }),
  },
  {
    operationId: "repos/get-content",
    status: 502,
    label: "bad gateway",
    path: `${WEB}/contents/README.md`,
    auth: "web",
    around: withFault({ kind: "server-error", pathPrefix: `${WEB}/contents`, status: 502 }),
    undocumented: "GitHub's edge answers 502 on any endpoint when a backend fails",
  },
];

/** Writes are refused to read tokens; GitHub documents 403 for some of these operations, 404 for others. */
const writeCases: ResponseCase[] = [
  ["PUT", "contents/README.md", "repos/create-or-update-file-contents", 404],
  ["DELETE", "contents/README.md", "repos/delete-file", 404],
  ["POST", "git/refs", "git/create-ref", 403],
  ["PATCH", "git/refs/heads/main", "git/update-ref", 403],
  ["DELETE", "git/refs/heads/main", "git/delete-ref", 403],
  ["POST", "git/blobs", "git/create-blob", 403],
  ["POST", "git/trees", "git/create-tree", 403],
  ["POST", "git/commits", "git/create-commit", 404],
  ["POST", "git/tags", "git/create-tag", 403],
  ["POST", "merges", "repos/merge", 403],
  ["POST", "pulls", "pulls/create", 403],
  ["POST", "issues", "issues/create", 403],
  ["PATCH", "", "repos/update", 403],
  ["DELETE", "", "repos/delete", 403],
].map(([method, suffix, operationId, status]): ResponseCase => {
  const notFound = status === 404;
  const path = `/repos/mycompany/${notFound ? "api-server" : "web"}${suffix ? `/${suffix}` : ""}`;
  const documented403 = [
    "git/create-blob",
    "git/create-tree",
    "repos/merge",
    "pulls/create",
    "issues/create",
    "repos/update",
    "repos/delete",
  ];
  return {
    operationId: String(operationId),
    status: Number(status),
    label: notFound ? "repository not in the token" : "read-only token",
    method: method as ResponseCase["method"],
    path,
    auth: "web",
    body: {},
    undocumented:
      notFound || documented403.includes(String(operationId))
        ? undefined
        : "GitHub answers a write with a read token with 403 Resource not accessible by integration",
  };
});

/** Every row of the conformance table. */
export const responseCases: ResponseCase[] = [
  ...appCases,
  ...tokenCases,
  ...repoCases,
  ...contentCases,
  ...compareCases,
  ...searchCases,
  ...faultCases,
  ...writeCases,
];
