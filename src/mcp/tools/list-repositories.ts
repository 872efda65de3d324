import { z } from "zod";
import { allowedRepositories } from "../allowed-repositories.ts";
import { jsonResult } from "../results.ts";
import { defineInstallationTool } from "../tool.ts";

/** list_repositories: what this caller may read: the App's installations ∩ the policy. */
export const listRepositoriesTool = defineInstallationTool({
  name: "list_repositories",
  title: "List repositories you may read",
  operation: "read",
  description: [
    "List the GitHub repositories you may read through repogate: those the GitHub App is installed on AND the policy allows for you.",
    'For each: full name, description, visibility, default branch, the operations you may perform (read = files, trees, branches, commits; analyze = search_code, get_repository_overview; diff = compare_refs and commit patches), the branches you may read ("any" or a list) and the file size cap.',
    "Call this first to learn which owner/repo values the other tools accept.",
  ].join(" "),
  inputSchema: {
    owner: z
      .string()
      .min(1)
      .max(39)
      .optional()
      .describe('Only list repositories of this owner (organization or user), e.g. "mycompany".'),
  },
  target: (args) => (args.owner ? `the repositories of ${args.owner}` : "the App's installations"),
  run: async (ctx, args) => {
    const { allowed, problems } = await allowedRepositories(
      ctx,
      "read",
      args.owner ? { owners: [args.owner] } : {},
    );
    const repositories = allowed.map(({ repository, decision }) => ({
      full_name: repository.fullName,
      description: repository.description,
      private: repository.private,
      archived: repository.archived,
      default_branch: repository.defaultBranch,
      operations: decision.allowedOperations,
      branches: decision.allowedBranches ?? "any",
      ...(decision.allowedBranches && repository.defaultBranch
        ? { default_branch_allowed: decision.allowedBranches.includes(repository.defaultBranch) }
        : {}),
      max_file_size_bytes: decision.maxFileSize,
      rule: decision.ruleIndex === null ? null : `#${decision.ruleIndex + 1} "${decision.rulePattern}"`,
    }));
    const notices = [...problems];
    if (repositories.length === 0) {
      notices.push(
        args.owner
          ? `No repository of ${args.owner} is available to you: either the App is not installed there or the policy grants you nothing there.`
          : "No repository is available to you: the policy grants your identity (and groups) no repository the App is installed on. Ask the repogate administrators for access.",
      );
    }
    return jsonResult({ count: repositories.length, repositories }, ...notices);
  },
});
