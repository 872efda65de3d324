import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import {
  AppJwtSigningError,
  GitHubBrokerError,
  GitHubUpstreamError,
  redactErrorText,
  redactSecrets,
} from "../github/index.ts";
import type { PolicyDecision } from "../policy/index.ts";
import { formatBytes } from "../policy/index.ts";
import { PolicyDeniedError, ToolError } from "./errors.ts";

// Last line of defence: whatever a tool built, nothing token-shaped leaves the process.
function safe(text: string): string {
  return redactSecrets(text);
}

/** A successful result made of text blocks (empty blocks dropped). */
export function textResult(...blocks: string[]): CallToolResult {
  return {
    content: blocks.filter((b) => b.length > 0).map((text) => ({ type: "text" as const, text: safe(text) })),
  };
}

/** A successful result: a JSON document (already stripped of URLs), then optional notices. */
export function jsonResult(value: unknown, ...notices: string[]): CallToolResult {
  return textResult(JSON.stringify(value, null, 2), ...notices);
}

/** A tool error the model can read and act on. */
export function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: redactErrorText(text) }] };
}

/** `rule #3 "facebook/react"`: the deciding rule, 1-based as people count, plus its position in the file. */
export function ruleName(decision: Pick<PolicyDecision, "ruleIndex" | "rulePattern">): string | null {
  if (decision.ruleIndex === null) return null;
  return `rule #${decision.ruleIndex + 1} "${decision.rulePattern}" (repositories[${decision.ruleIndex}])`;
}

/** What the deciding rule would allow, for a denial message. */
export function allowedSummary(decision: PolicyDecision): string {
  if (decision.ruleIndex === null) return "";
  const operations = decision.allowedOperations.length
    ? decision.allowedOperations.join(", ")
    : "none (explicit deny)";
  const branches = decision.allowedBranches ? decision.allowedBranches.join(", ") : "any";
  return `Allowed by this rule: operations ${operations}; branches ${branches}; files up to ${formatBytes(decision.maxFileSize)}.`;
}

/** The text of a denial: the rule, the reason, what would be allowed, and where to look next. */
export function denialText(decision: PolicyDecision): string {
  const rule = ruleName(decision);
  // The engine's reasons open with the rule's label; the head already names the rule.
  const label = `repositories[${decision.ruleIndex}] "${decision.rulePattern}" `;
  const reason =
    rule && decision.reason.startsWith(label)
      ? `this rule ${decision.reason.slice(label.length)}`
      : decision.reason;
  const head = rule
    ? `Access denied by ${rule} [${decision.code}]: ${reason}.`
    : `Access denied [${decision.code}]: ${decision.reason}.`;
  const hint =
    decision.code === "NOT_IN_WHITELIST" || decision.code === "GROUP_REQUIRED"
      ? "Call list_repositories to see the repositories you may use."
      : "";
  return [head, allowedSummary(decision), hint].filter(Boolean).join(" ");
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  410: "Gone",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** `GitHub returned 404 Not Found for mycompany/web path "x" at main: Not Found`. */
export function upstreamText(error: GitHubUpstreamError, what: string): string {
  if (error.status === 0) return `GitHub could not be reached while reading ${what}: ${error.githubMessage}`;
  const status = `${error.status}${STATUS_TEXT[error.status] ? ` ${STATUS_TEXT[error.status]}` : ""}`;
  const advice =
    error.status === 404
      ? " Check the owner, repository, path and ref (names are case-sensitive for paths and refs)."
      : error.status === 429 || (error.status === 403 && /rate limit/i.test(error.githubMessage))
        ? " GitHub's rate limit was reached; try again in a minute."
        : "";
  return `GitHub returned ${status} for ${what}: ${error.githubMessage}.${advice}`;
}

/** The code an error maps to in the audit trail (`INTERNAL_ERROR` for anything unexpected). */
export function errorCodeOf(error: unknown): string {
  if (error instanceof ToolError || error instanceof GitHubBrokerError) return error.code;
  return "INTERNAL_ERROR";
}

/**
 * Maps an error to a tool result: denials name the rule, upstream failures say what GitHub answered,
 * known broker errors keep their (secret-free) message; anything else is `null` (unexpected: the
 * caller logs it and answers with `unexpectedErrorText`). App JWT signing failures count as unexpected:
 * their message is for operators (key ARN, account, IAM advice), not for the model.
 */
export function knownErrorResult(error: unknown, what: string): CallToolResult | null {
  if (error instanceof PolicyDeniedError) return errorResult(denialText(error.decision));
  if (error instanceof ToolError) return errorResult(error.message);
  if (error instanceof GitHubUpstreamError) return errorResult(upstreamText(error, what));
  if (error instanceof AppJwtSigningError) return null;
  if (error instanceof GitHubBrokerError) return errorResult(`${error.message} [${error.code}]`);
  return null;
}

/** What the model reads for an error `knownErrorResult` does not map; the details go to the log only. */
export function unexpectedErrorText(error: unknown, tool: string, requestId: string): string {
  if (error instanceof AppJwtSigningError) {
    return `repogate could not authenticate to GitHub as its App [${error.code}] (request id ${requestId}). The operators have the details in the log; nothing was read.`;
  }
  return `Internal error in ${tool} (request id ${requestId}). The details were logged for the operators; nothing was returned.`;
}
