import { z } from "zod";
import { jsonResult } from "../results.ts";
import { defineRepositoryTool } from "../tool.ts";
import { ownerArg, POLICY_NOTE, repoArg, requiredRefArg } from "./arguments.ts";
import { commitSummary, filesWithPatches, type GitHubCommit, type GitHubFile } from "./commit-format.ts";

/** compare_refs: how head differs from base (needs `diff`; both refs must pass the branch rules). */
export const compareRefsTool = defineRepositoryTool({
  name: "compare_refs",
  title: "Compare two refs",
  operation: "diff",
  description: [
    "Compare two branches or commits of one repository: status (ahead, behind, diverged, identical), ahead/behind counts, the commits in head that are not in base, and the changed files with their patches.",
    "Patches are capped in total at the policy's maxFileSize with a [TRUNCATED] notice. Needs the diff operation; both refs must be allowed by the policy's branch rules.",
    POLICY_NOTE,
  ].join(" "),
  inputSchema: {
    owner: ownerArg,
    repo: repoArg,
    base: requiredRefArg("Base of the comparison (the older side)"),
    head: requiredRefArg("Head of the comparison (the newer side)"),
    include_patch: z.boolean().optional().describe("Include each file's patch (default true)."),
  },
  targetDetails: (args) => ({ base: args.base, head: args.head }),
  refs: (args) => ({ base: args.base, head: args.head }),
  run: async (access, args, ctx) => {
    const base = access.refs.base?.pinned ?? args.base;
    const head = access.refs.head?.pinned ?? args.head;
    const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
      owner: args.owner,
      repo: args.repo,
      basehead: `${base}...${head}`,
    });
    const compared = data as unknown as {
      status: string;
      ahead_by: number;
      behind_by: number;
      total_commits: number;
      merge_base_commit?: { sha: string };
      commits: GitHubCommit[];
      files?: GitHubFile[];
    };
    const { files, notices } = filesWithPatches(compared.files ?? [], {
      includePatches: args.include_patch ?? true,
      maxBytes: access.decision.maxFileSize,
      maxFiles: ctx.limits.changedFiles,
      decision: access.decision,
    });
    const cap = ctx.limits.compareCommits;
    if (compared.commits.length > cap) {
      notices.push(`[TRUNCATED: ${compared.commits.length} commits; only the first ${cap} are listed.]`);
    }
    return jsonResult(
      {
        repository: `${args.owner}/${args.repo}`,
        base: args.base,
        head: args.head,
        status: compared.status,
        ahead_by: compared.ahead_by,
        behind_by: compared.behind_by,
        total_commits: compared.total_commits,
        merge_base: compared.merge_base_commit?.sha ?? null,
        commits: compared.commits.slice(0, cap).map(commitSummary),
        files,
      },
      ...notices,
    );
  },
});
