import { branchAllowed } from "../../policy/index.ts";
import { jsonResult, ruleName } from "../results.ts";
import { defineRepositoryTool } from "../tool.ts";
import { ownerArg, POLICY_NOTE, pageArg, perPageArg, repoArg } from "./arguments.ts";

/** list_branches: the repository's branches the policy allows, with their head commits. */
export const listBranchesTool = defineRepositoryTool({
  name: "list_branches",
  title: "List branches",
  operation: "read",
  description: [
    "List the branches of a repository that you may read, with each branch's head commit SHA and whether it is protected.",
    "Where the policy restricts branches, only the allowed ones are listed (the output says which rule restricts them).",
    POLICY_NOTE,
  ].join(" "),
  inputSchema: { owner: ownerArg, repo: repoArg, per_page: perPageArg, page: pageArg },
  targetDetails: () => ({}),
  run: async (access, args, ctx) => {
    const scanned: Array<{ name: string; commit: { sha: string }; protected?: boolean }> = [];
    const limit = ctx.limits.branchesScanned;
    for (let page = 1; scanned.length < limit; page++) {
      const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/branches", {
        owner: args.owner,
        repo: args.repo,
        per_page: 100,
        page,
      });
      scanned.push(...data);
      if (data.length < 100) break;
    }
    const allowed = scanned.filter((b) => branchAllowed(access.decision, b.name));
    const perPage = args.per_page ?? 30;
    const page = args.page ?? 1;
    const shown = allowed.slice((page - 1) * perPage, page * perPage);
    const notices: string[] = [];
    if (access.decision.allowedBranches) {
      notices.push(
        `Only the branches allowed by ${ruleName(access.decision)} are listed (allowed: ${access.decision.allowedBranches.join(", ")}).`,
      );
    }
    if (scanned.length >= limit) notices.push(`[INCOMPLETE: only the first ${limit} branches were scanned.]`);
    return jsonResult(
      {
        repository: `${args.owner}/${args.repo}`,
        total_allowed_branches: allowed.length,
        page,
        per_page: perPage,
        branches: shown.map((b) => ({
          name: b.name,
          sha: b.commit.sha,
          protected: b.protected ?? false,
        })),
      },
      ...notices,
    );
  },
});
