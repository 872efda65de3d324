import { z } from "zod";
import { jsonResult } from "../results.ts";
import { defineRepositoryTool } from "../tool.ts";
import { ownerArg, POLICY_NOTE, repoArg, requiredRefArg } from "./arguments.ts";
import { commitDetails, filesWithPatches, type GitHubCommit, noDiffNotice } from "./commit-format.ts";

/** get_commit: one commit's message, author, stats and changed files; patches only with `diff`. */
export const getCommitTool = defineRepositoryTool({
  name: "get_commit",
  title: "Get one commit",
  operation: "read",
  description: [
    "Get one commit: full message, author, committer, parents, stats and the list of changed files (status, additions, deletions).",
    "The files' patches are included only if the policy also grants you diff on the repository; they are capped in total at the policy's maxFileSize with a [TRUNCATED] notice.",
    POLICY_NOTE,
  ].join(" "),
  inputSchema: {
    owner: ownerArg,
    repo: repoArg,
    ref: requiredRefArg("The commit to show (a SHA, or a branch name for its head commit)"),
    include_patch: z
      .boolean()
      .optional()
      .describe(
        "Include each file's patch (default true; needs the diff operation, otherwise patches are left out).",
      ),
  },
  targetDetails: (args) => ({ commit: args.ref }),
  refs: (args) => ({ ref: args.ref }),
  run: async (access, args, ctx) => {
    const ref = access.refs.ref?.pinned ?? args.ref;
    const wantPatch = args.include_patch ?? true;
    // The same rule decides every operation on a repository, so the ref check above covers diff too; the diff
    // decision comes from the policy the call started with (ctx.policy), the one that made the checked decision.
    const diff = ctx.policy.decide({
      principal: ctx.record.principal,
      repository: `${args.owner}/${args.repo}`,
      operation: "diff",
    });
    if (wantPatch) {
      // Recorded, not enforced: without diff the commit is still shown, only its patches are left out.
      await ctx.record.decided({
        repository: diff.repository,
        operation: "diff",
        ref: args.ref,
        decision: diff,
      });
    }
    const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
      owner: args.owner,
      repo: args.repo,
      ref,
      per_page: ctx.limits.changedFiles,
    });
    const commit = data as unknown as GitHubCommit;
    const includePatches = wantPatch && diff.allowed;
    const { files, notices } = filesWithPatches(commit.files ?? [], {
      includePatches,
      maxBytes: diff.allowed ? diff.maxFileSize : 0,
      maxFiles: ctx.limits.changedFiles,
      decision: diff,
    });
    if (wantPatch && !diff.allowed) notices.unshift(noDiffNotice(diff));
    return jsonResult(
      { repository: `${args.owner}/${args.repo}`, ...commitDetails(commit), files },
      ...notices,
    );
  },
});
