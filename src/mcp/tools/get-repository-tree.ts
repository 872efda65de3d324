import { z } from "zod";
import { normalizePath } from "../paths.ts";
import { jsonResult } from "../results.ts";
import { defineRepositoryTool, readAt } from "../tool.ts";
import { optionalRefArg, ownerArg, POLICY_NOTE, pathArg, repoArg } from "./arguments.ts";

interface TreeItem {
  path?: string;
  type?: string;
  size?: number;
}

/** get_repository_tree: the file tree at a ref, optionally under a path prefix, capped in entries. */
export const getRepositoryTreeTool = defineRepositoryTool({
  name: "get_repository_tree",
  title: "Get repository file tree",
  operation: "read",
  description: [
    "List the files and directories of a repository at a ref, recursively by default, as JSON entries (path, type blob|tree|commit, size in bytes).",
    "Use path to list only what lies under a directory. At most 1000 entries are returned; a notice says when the list was cut (narrow it with path).",
    POLICY_NOTE,
  ].join(" "),
  inputSchema: {
    owner: ownerArg,
    repo: repoArg,
    ref: optionalRefArg,
    path: pathArg(
      'Only list entries under this directory, e.g. "src/lib"; omit for the whole repository.',
    ).optional(),
    recursive: z
      .boolean()
      .optional()
      .describe("true (default): every entry below the directory; false: its direct children only."),
  },
  targetDetails: (args) => ({ path: args.path, ref: args.ref }),
  refs: (args) => ({ ref: args.ref }),
  run: async (access, args, ctx) => {
    const prefix = normalizePath(args.path);
    const recursive = args.recursive ?? true;
    const ref = await readAt(access, "ref");
    const fetchRecursive = recursive || prefix !== "";
    const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", {
      owner: args.owner,
      repo: args.repo,
      tree_sha: ref,
      ...(fetchRecursive ? { recursive: "1" } : {}),
    });
    const under = prefix === "" ? "" : `${prefix}/`;
    const depth = under === "" ? 0 : under.split("/").length - 1;
    const matching = (data.tree as TreeItem[]).filter((item) => {
      const path = item.path ?? "";
      if (!path.startsWith(under)) return false;
      return recursive || path.split("/").length === depth + 1;
    });
    const cap = ctx.limits.treeEntries;
    const notices: string[] = [];
    if (matching.length > cap) {
      notices.push(
        `[TRUNCATED: ${matching.length} entries match; only the first ${cap} are returned. Pass a narrower path.]`,
      );
    }
    if (data.truncated) {
      notices.push("[INCOMPLETE: GitHub truncated the tree (too many entries); pass a narrower path.]");
    }
    if (prefix !== "" && matching.length === 0) {
      notices.push(`No entries under "${prefix}" at ${ref}: check the path (paths are case-sensitive).`);
    }
    return jsonResult(
      {
        repository: `${args.owner}/${args.repo}`,
        ref,
        path: prefix || "/",
        recursive,
        total_entries: matching.length,
        entries: matching.slice(0, cap).map((item) => ({
          path: item.path,
          type: item.type,
          ...(item.type === "blob" ? { size: item.size ?? 0 } : {}),
        })),
      },
      ...notices,
    );
  },
});
