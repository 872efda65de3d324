import { z } from "zod";
import {
  GitHubRefResolver,
  GitHubUpstreamError,
  type NarrowedOctokit,
  NarrowedScope,
  permissionsForOperation,
} from "../../github/index.ts";
import { checkRef, type PolicyDecision } from "../../policy/index.ts";
import { allowedRepositories } from "../allowed-repositories.ts";
import { truncateUtf8 } from "../content.ts";
import type { ToolContext } from "../context.ts";
import { PolicyDeniedError, ToolError } from "../errors.ts";
import { denialText, jsonResult, upstreamText } from "../results.ts";
import { isExcluded, parseSearchScope } from "../search-scope.ts";
import { defineInstallationTool } from "../tool.ts";
import { pageArg, perPageArg } from "./arguments.ts";

interface Candidate {
  fullName: string;
  owner: string;
  decision: PolicyDecision;
}

interface SearchItem {
  name?: string;
  path?: string;
  sha?: string;
  repository?: { full_name?: string };
  text_matches?: Array<{ fragment?: string }>;
}

const FRAGMENT_LIMIT = 500;

/** Each repository's decision is recorded; a denied one only narrows the search (no call-wide denial). */
function recordDecision(ctx: ToolContext, decision: PolicyDecision): Promise<void> {
  return ctx.record.decided({ repository: decision.repository, operation: "analyze", ref: null, decision });
}

/** Repositories to search: the caller's `repo:`/`org:` qualifiers intersected with what the policy allows. */
async function candidates(
  ctx: ToolContext,
  scope: ReturnType<typeof parseSearchScope>,
): Promise<{ candidates: Candidate[]; denials: PolicyDecision[]; notices: string[] }> {
  const denials: PolicyDecision[] = [];
  const notices: string[] = [];
  let found: Candidate[] = [];
  if (scope.repositories.length > 0) {
    const owners = scope.owners.map((o) => o.toLowerCase());
    for (const fullName of scope.repositories) {
      const decision = ctx.policy.decide({
        principal: ctx.record.principal,
        repository: fullName,
        operation: "analyze",
      });
      if (!decision.allowed) {
        await recordDecision(ctx, decision);
        denials.push(decision);
        continue;
      }
      const owner = fullName.slice(0, fullName.indexOf("/"));
      if (owners.length > 0 && !owners.includes(owner.toLowerCase())) continue;
      found.push({ fullName, owner, decision });
    }
  } else {
    const listed = await allowedRepositories(
      ctx,
      "analyze",
      scope.owners.length ? { owners: scope.owners } : {},
    );
    notices.push(...listed.problems);
    found = listed.allowed.map(({ repository, decision }) => ({
      fullName: repository.fullName,
      owner: repository.owner,
      decision,
    }));
  }
  const unique = new Map(found.map((c) => [c.fullName.toLowerCase(), c]));
  return { candidates: [...unique.values()].filter((c) => !isExcluded(scope, c.fullName)), denials, notices };
}

/** search_code: code search limited to the repositories this caller may analyze. */
export const searchCodeTool = defineInstallationTool({
  name: "search_code",
  title: "Search code",
  operation: "analyze",
  description: [
    "Search code (default branches only) across the repositories you may analyze, with GitHub code search syntax: terms plus qualifiers such as path:, extension:, language:, filename:.",
    "repogate itself restricts the search to allowed repositories: your own repo:owner/name, org: or user: qualifiers can only narrow that set, and naming a repository you may not analyze is reported as denied.",
    "At most 10 repositories are searched per call (narrow with repo: or org: when there are more). Returns matches as JSON: repository, path, blob SHA and matching text fragments.",
  ].join(" "),
  inputSchema: {
    query: z
      .string()
      .min(1)
      .max(256)
      .describe(
        'GitHub code search query, e.g. "createRoot language:typescript" or "TODO repo:mycompany/web path:src".',
      ),
    per_page: perPageArg,
    page: pageArg,
  },
  target: (args) => `code search ${JSON.stringify(args.query)}`,
  run: async (ctx, args) => {
    const scope = parseSearchScope(args.query);
    const found = await candidates(ctx, scope);
    const notices = [...found.notices];
    for (const denial of found.denials) notices.push(`Not searched: ${denialText(denial)}`);
    if (found.candidates.length === 0) {
      const first = found.denials[0];
      if (first) throw new PolicyDeniedError(first);
      throw new ToolError(
        "NO_SEARCHABLE_REPOSITORY",
        `No repository you may analyze matches this search's scope${scope.owners.length ? ` (${scope.owners.map((o) => `org:${o}`).join(" ")})` : ""}. Call list_repositories to see which repositories allow analyze.`,
      );
    }
    const cap = ctx.limits.searchRepositories;
    const selected = found.candidates.slice(0, cap);
    if (found.candidates.length > cap) {
      notices.push(
        `[LIMITED: you may analyze ${found.candidates.length} repositories matching this scope; only ${cap} were searched (${selected.map((c) => c.fullName).join(", ")}). Add repo: or org: qualifiers to choose.]`,
      );
    }
    const byOwner = new Map<string, Candidate[]>();
    for (const c of selected)
      byOwner.set(c.owner.toLowerCase(), [...(byOwner.get(c.owner.toLowerCase()) ?? []), c]);
    const items: Array<Record<string, unknown>> = [];
    const searched: string[] = [];
    let total = 0;
    let failures = 0;
    let firstError: unknown;
    for (const group of byOwner.values()) {
      try {
        const result = await searchOwner(ctx, group, scope.text, args.per_page ?? 20, args.page ?? 1);
        items.push(...result.items);
        searched.push(...result.searched);
        notices.push(...result.notices);
        total += result.total;
      } catch (error) {
        failures++;
        firstError ??= error;
        if (!(error instanceof GitHubUpstreamError)) throw error;
        notices.push(upstreamText(error, `the search in ${group.map((c) => c.fullName).join(", ")}`));
      }
    }
    if (failures === byOwner.size && firstError) throw firstError;
    return jsonResult(
      { query: scope.text, searched_repositories: searched, total_count: total, items },
      ...notices,
    );
  },
});

/**
 * A result's text fragments, each at most FRAGMENT_LIMIT characters and all together at most the
 * rule's maxFileSize bytes: the cap on content returned applies to search results as to files.
 */
function cappedFragments(item: SearchItem, maxBytes: number): { fragments: string[]; cut: boolean } {
  let budget = maxBytes;
  let cut = false;
  const fragments: string[] = [];
  for (const match of item.text_matches ?? []) {
    const limited = (match.fragment ?? "").slice(0, FRAGMENT_LIMIT);
    const fragment = truncateUtf8(limited, budget);
    if (fragment.length < limited.length) cut = true;
    if (fragment.length > 0) fragments.push(fragment);
    budget -= Buffer.byteLength(fragment, "utf8");
  }
  return { fragments, cut };
}

/**
 * One owner's allowed repositories are searched with one token narrowed to exactly those repositories
 * and one query carrying their `repo:` qualifiers. Each repository's default branch must pass the
 * branch rules (code search only covers default branches); results from anywhere else are dropped.
 */
async function searchOwner(
  ctx: ToolContext,
  group: Candidate[],
  text: string,
  perPage: number,
  page: number,
): Promise<{ items: Array<Record<string, unknown>>; searched: string[]; notices: string[]; total: number }> {
  const scope = NarrowedScope.forRepositories(
    group.map((c) => c.fullName),
    permissionsForOperation("analyze"),
  );
  return ctx.github.tokens.withScope(scope, ctx.record, async (octokit: NarrowedOctokit) => {
    const notices: string[] = [];
    const searchable: Candidate[] = [];
    for (const candidate of group) {
      // No ref: the default branch (code search covers only default branches) must itself be allowed.
      const decision = await checkRef(
        candidate.decision,
        undefined,
        new GitHubRefResolver(octokit, candidate.fullName),
      );
      await recordDecision(ctx, decision);
      if (decision.allowed) searchable.push(candidate);
      else notices.push(`Not searched: ${denialText(decision)}`);
    }
    if (searchable.length === 0) return { items: [], searched: [], notices, total: 0 };
    const q = `${text} ${searchable.map((c) => `repo:${c.fullName}`).join(" ")}`;
    const { data } = await octokit.request("GET /search/code", {
      q,
      per_page: perPage,
      page,
      mediaType: { format: "text-match" },
    });
    const allowed = new Map(searchable.map((c) => [c.fullName.toLowerCase(), c.decision]));
    let dropped = 0;
    let capped = 0;
    const items: Array<Record<string, unknown>> = [];
    for (const item of data.items as SearchItem[]) {
      const repository = item.repository?.full_name ?? "";
      const decision = allowed.get(repository.toLowerCase());
      if (!decision) {
        dropped++;
        continue;
      }
      const { fragments, cut } = cappedFragments(item, decision.maxFileSize);
      if (cut) capped++;
      items.push({ repository, path: item.path, sha: item.sha, fragments });
    }
    if (dropped > 0)
      notices.push(`${dropped} result(s) from repositories outside your allowed set were removed.`);
    if (capped > 0)
      notices.push(
        `[TRUNCATED: the fragments of ${capped} result(s) were cut to their repository's maxFileSize; read the file with get_file_contents.]`,
      );
    return { items, searched: searchable.map((c) => c.fullName), notices, total: data.total_count };
  });
}
