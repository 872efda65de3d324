/** The requests the OpenAPI conformance test sends: every emulated operation, success and error statuses. */
import { expect } from "vitest";
import { compareStatus, type Obj, WEB, withFault } from "./case-helpers.ts";
import { appCases, tokenCases } from "./cases-app.ts";
import { appSetupCases } from "./cases-app-setup.ts";
import { contentCases, repoCases } from "./cases-repo.ts";
import type { ResponseCase } from "./exchange.ts";

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
  ...appSetupCases,
];
