import { z } from "zod";
import { normalizePath } from "../paths.ts";
import { jsonResult } from "../results.ts";
import { defineRepositoryTool } from "../tool.ts";
import { optionalRefArg, ownerArg, POLICY_NOTE, pageArg, pathArg, perPageArg, repoArg } from "./arguments.ts";
import { commitSummary, type GitHubCommit } from "./commit-format.ts";

const isoDate = (what: string) =>
  z.iso
    .datetime({ offset: true })
    .optional()
    .describe(`${what}, ISO 8601 with time zone, e.g. "2024-01-31T00:00:00Z".`);

/** list_commits: the history reachable from a ref, newest first, optionally for one path and a time window. */
export const listCommitsTool = defineRepositoryTool({
  name: "list_commits",
  title: "List commits",
  operation: "read",
  description: [
    "List commits reachable from a branch or commit, newest first: SHA, date, author and the first line of each message.",
    "Filter by path (commits touching it) and by since/until; page with per_page (max 100) and page. Use get_commit for one commit's details.",
    POLICY_NOTE,
  ].join(" "),
  inputSchema: {
    owner: ownerArg,
    repo: repoArg,
    ref: optionalRefArg,
    path: pathArg('Only commits that touched this file or directory, e.g. "src/app".').optional(),
    since: isoDate("Only commits after this time"),
    until: isoDate("Only commits before this time"),
    per_page: perPageArg,
    page: pageArg,
  },
  targetDetails: (args) => ({ ref: args.ref, path: args.path }),
  refs: (args) => ({ ref: args.ref }),
  run: async (access, args) => {
    const path = normalizePath(args.path);
    const ref = access.refs.ref?.pinned;
    const perPage = args.per_page ?? 30;
    const page = args.page ?? 1;
    const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/commits", {
      owner: args.owner,
      repo: args.repo,
      ...(ref ? { sha: ref } : {}),
      per_page: perPage,
      page,
      ...(path ? { path } : {}),
      ...(args.since ? { since: args.since } : {}),
      ...(args.until ? { until: args.until } : {}),
    });
    const commits = (data as unknown as GitHubCommit[]).map(commitSummary);
    const notices =
      commits.length === perPage ? [`More commits may follow: call again with page ${page + 1}.`] : [];
    return jsonResult(
      {
        repository: `${args.owner}/${args.repo}`,
        ref,
        ...(path ? { path } : {}),
        page,
        per_page: perPage,
        commits,
      },
      ...notices,
    );
  },
});
