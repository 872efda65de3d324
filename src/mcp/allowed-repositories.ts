import {
  AppJwtSigningError,
  GitHubBrokerError,
  GitHubUpstreamError,
  redactErrorText,
} from "../github/index.ts";
import type { Operation, PolicyDecision } from "../policy/index.ts";
import { matchSegment } from "../policy/index.ts";
import { isAuditRefusal } from "./audit-refusal.ts";
import type { ToolContext } from "./context.ts";
import type { InstallationRepository } from "./installation-repositories.ts";
import { upstreamText } from "./results.ts";

/** A repository of the App's installations that the caller may use for one operation. */
export interface AllowedRepository {
  repository: InstallationRepository;
  decision: PolicyDecision;
}

/** The allowed repositories plus the installations that could not be listed. */
export interface AllowedRepositories {
  allowed: AllowedRepository[];
  /** One sentence per installation whose listing failed (the rest are still returned). */
  problems: string[];
}

/**
 * Installations' repositories ∩ policy for this caller and operation. Installations whose owner no
 * visible rule granting `operation` could match are not listed at all (no token is minted for them).
 */
export async function allowedRepositories(
  ctx: ToolContext,
  operation: Operation,
  options: { owners?: readonly string[] } = {},
): Promise<AllowedRepositories> {
  const engine = ctx.policy;
  const principal = ctx.record.principal;
  const rules = engine.visibleRules(principal).filter((r) => r.operations.includes(operation));
  const owners = options.owners?.map((o) => o.toLowerCase());
  const relevant = (account: string) => {
    const login = account.toLowerCase();
    if (owners && !owners.includes(login)) return false;
    return rules.some((rule) => matchSegment((rule.pattern.split("/")[0] ?? "").toLowerCase(), login));
  };
  const installations = (await ctx.repositories.installations()).filter((i) => relevant(i.account));
  const listings = await Promise.allSettled(
    installations.map((i) => ctx.repositories.repositories(i, ctx.record)),
  );
  const allowed: AllowedRepository[] = [];
  const problems: string[] = [];
  listings.forEach((listing, index) => {
    const account = installations[index]?.account ?? "?";
    if (listing.status === "rejected") {
      // Not a partial answer: a call refused for the audit trail is refused as a whole.
      if (isAuditRefusal(listing.reason)) throw listing.reason;
      problems.push(listingProblem(ctx, account, listing.reason));
      return;
    }
    for (const repository of listing.value) {
      const decision = engine.decide({
        principal,
        repository: repository.fullName,
        operation,
      });
      if (decision.allowed) allowed.push({ repository, decision });
    }
  });
  allowed.sort((a, b) => a.repository.fullName.localeCompare(b.repository.fullName));
  return { allowed, problems };
}

/** One sentence for the model about a failed listing; what only operators should see goes to the log. */
function listingProblem(ctx: ToolContext, account: string, reason: unknown): string {
  const what = `the repositories of ${account}`;
  if (reason instanceof GitHubUpstreamError) return upstreamText(reason, what);
  if (reason instanceof GitHubBrokerError && !(reason instanceof AppJwtSigningError)) {
    return `The repositories of ${account} could not be listed: ${reason.message}`;
  }
  ctx.logger.error(
    {
      requestId: ctx.record.request.id,
      account,
      error: redactErrorText(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)),
    },
    "repogate mcp: listing an installation's repositories failed",
  );
  return `The repositories of ${account} could not be listed (request id ${ctx.record.request.id}; the details were logged for the operators).`;
}
