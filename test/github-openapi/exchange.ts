/** The table's row type and how one row's request is sent to the emulator over HTTP. */
import type { GitHubEmulator } from "../github-emulator/harness.ts";
import type { GitHubOpenApi } from "./openapi-validator.ts";

/** Named credentials a row can use; see `credentials()` in the test for how each is obtained. */
export type CredentialName =
  | "app" // App JWT from @octokit/auth-app
  | "all" // mycompany installation, whole installation
  | "web" // mycompany installation narrowed to `web`
  | "react" // facebook installation
  | "partner" // partner-org installation (shared-sdk only)
  | "metadata-only" // mycompany/web with `metadata: read` only
  | "revoked" // minted, then revoked with DELETE /installation/token
  | "fresh" // minted just for this request (for the revocation row)
  | "bad-token" // never issued
  | "bad-jwt" // not a JWT at all
  | "none";

export interface CaseContext {
  github: GitHubEmulator;
  /** `main` of mycompany/web. */
  webMainSha: string;
  /** The root tree of mycompany/web at `main`. */
  webRootTreeSha: string;
  /** The repository id of mycompany/web. */
  webRepoId: number;
  /** Sends a request like `send`, for set-up steps such as reading an `etag`. */
  fetchWith(credential: CredentialName, path: string, init?: RequestInit): Promise<Response>;
}

export interface ResponseCase {
  /** The OpenAPI operationId the request must match. */
  operationId: string;
  status: number | number[];
  /** What this row exercises, shown in the test name. */
  label: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string | ((ctx: CaseContext) => string);
  /** The status the row must produce; a list when any of them is fine (sweeps over seed data). */
  auth: CredentialName;
  accept?: string;
  /** A JSON request body, or a function of the context for ids only known at run time. */
  body?: unknown;
  headers?: (ctx: CaseContext) => Promise<Record<string, string>>;
  /**
   * GitHub sends this status for this operation but the description does not list it: say why. The
   * status check is then replaced by validating the body against `components/schemas/basic-error`.
   */
  undocumented?: string;
  /**
   * GitHub serves this path though its description lists no operation for it (an older form, a path its own
   * links use): `why` says so, and the answer is checked against `operationId`'s responses, which GitHub
   * gives it. `route` is the emulator's route it exercises, for the coverage check.
   */
  undescribedPath?: { why: string; route: string };
  /** Semantic check that the row exercises what its label says (a compare status, a content type…). */
  expectBody?: (body: unknown, response: Response) => void;
  /** Runs before the request and undoes itself after (e.g. lowering a size limit). */
  around?: (ctx: CaseContext) => () => void;
}

export const DEFAULT_ACCEPT = "application/vnd.github+json";

/** The request a row describes, sent with raw fetch so every status, header and byte is visible. */
export async function sendCase(
  ctx: CaseContext,
  row: ResponseCase,
): Promise<{ path: string; accept: string; response: Response; bodyText: string }> {
  const path = typeof row.path === "function" ? row.path(ctx) : row.path;
  const accept = row.accept ?? DEFAULT_ACCEPT;
  const extra = row.headers ? await row.headers(ctx) : {};
  const body = typeof row.body === "function" ? row.body(ctx) : row.body;
  // A string body is sent as is (to send malformed JSON); anything else is JSON-encoded.
  const payload = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
  const response = await ctx.fetchWith(row.auth, path, {
    method: row.method ?? "GET",
    headers: {
      accept,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...extra,
    },
    body: payload,
  });
  return { path, accept, response, bodyText: await response.text() };
}

export interface CheckedCase {
  request: string;
  response: Response;
  bodyText: string;
  /** The parsed JSON body (undefined for non-JSON responses). */
  body: unknown;
  /** Mismatches with the description, each naming the request; empty when it conforms. */
  problems: string[];
}

function excerpt(text: string): string {
  return text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text;
}

/**
 * Sends a row and checks the exchange against the description: the request fits the row's operation,
 * the status is the expected one and documented (or an explained `undocumented` one, whose body must
 * be a `basic-error`), and content type, documented headers and body match that operation's response.
 */
export async function checkCase(
  openapi: GitHubOpenApi,
  ctx: CaseContext,
  row: ResponseCase,
): Promise<CheckedCase> {
  const undo = row.around?.(ctx);
  let sent: Awaited<ReturnType<typeof sendCase>>;
  try {
    sent = await sendCase(ctx, row);
  } finally {
    undo?.();
  }
  const { path, accept, response, bodyText } = sent;
  const request = `${row.method ?? "GET"} ${path}`;
  const isJson = response.headers.get("content-type")?.startsWith("application/json") ?? false;
  let body: unknown;
  if (isJson && bodyText !== "") {
    try {
      body = JSON.parse(bodyText);
    } catch (err) {
      return {
        request,
        response,
        bodyText,
        body,
        problems: [`${request}: body is not JSON (${(err as Error).message})`],
      };
    }
  }
  const result = (problems: string[]): CheckedCase => ({
    request,
    response,
    bodyText,
    body,
    problems: problems.map((p) => `${request} -> ${response.status}: ${p}`),
  });

  const matches = openapi.matchOperations(row.method ?? "GET", path.split("?")[0] ?? path);
  if (row.undescribedPath && matches.length > 0) {
    return result([`the description now lists ${matches[0]?.operationId}: drop the row's undescribedPath`]);
  }
  const operation = row.undescribedPath
    ? openapi.operationById(row.operationId)
    : matches.find((m) => m.operationId === row.operationId);
  if (!operation) {
    return result([
      `fits ${matches.map((m) => m.operationId).join(", ") || "no operation"}, not ${row.operationId}`,
    ]);
  }
  const expected = Array.isArray(row.status) ? row.status : [row.status];
  if (!expected.includes(response.status)) {
    return result([`expected status ${expected.join(" or ")}; body: ${excerpt(bodyText)}`]);
  }
  if (row.undocumented) {
    if (operation.documentedStatuses.includes(String(response.status))) {
      return result([
        `${row.operationId} now documents ${response.status}: drop the row's 'undocumented' note`,
      ]);
    }
    if (!isJson) return result([`error content type ${response.headers.get("content-type")} is not JSON`]);
    const problems = openapi.validateComponent("basic-error", body);
    return result(problems.map((p) => `(undocumented status, as basic-error) ${p}`));
  }
  const outcome = openapi.validateResponse(operation, {
    status: response.status,
    headers: response.headers,
    accept,
    bodyText,
  });
  const problems = outcome.problems.map((p) => `${p} [${row.operationId} ${operation.template}]`);
  if (problems.length > 0) problems.push(`body: ${excerpt(bodyText)}`);
  return result(problems);
}
