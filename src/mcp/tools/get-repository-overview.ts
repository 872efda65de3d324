import { STREAMED_BODY } from "../../github/native-json-bodies.ts";
import { formatBytes } from "../../policy/index.ts";
import { decodeBase64Content, decodeContent, readAtMost } from "../content.ts";
import { jsonResult, textResult } from "../results.ts";
import { defineRepositoryTool, type RepositoryAccess } from "../tool.ts";
import { ownerArg, POLICY_NOTE, repoArg } from "./arguments.ts";

interface TreeItem {
  path?: string;
  type?: string;
  size?: number;
}

function treeStats(items: readonly TreeItem[], truncated: boolean) {
  let files = 0;
  let directories = 0;
  let bytes = 0;
  const extensions = new Map<string, number>();
  const topLevel: Array<{ name: string; type: string }> = [];
  for (const item of items) {
    const path = item.path ?? "";
    if (!path.includes("/"))
      topLevel.push({ name: path, type: item.type === "tree" ? "dir" : (item.type ?? "?") });
    if (item.type === "tree") directories++;
    if (item.type !== "blob") continue;
    files++;
    bytes += item.size ?? 0;
    const name = path.slice(path.lastIndexOf("/") + 1);
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : "(none)";
    extensions.set(ext, (extensions.get(ext) ?? 0) + 1);
  }
  const topExtensions = [...extensions.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([extension, count]) => ({ extension, files: count }));
  return {
    files,
    directories,
    total_file_bytes: bytes,
    top_extensions: topExtensions,
    top_level: topLevel,
    truncated,
  };
}

async function readme(
  access: RepositoryAccess,
  ref: string,
  max: number,
): Promise<Record<string, unknown> | null> {
  try {
    const meta = await access.octokit.request("GET /repos/{owner}/{repo}/readme", {
      owner: access.owner,
      repo: access.repo,
      ref,
    });
    let read: { bytes: Uint8Array; truncated: boolean };
    if (meta.data.encoding === "base64" && meta.data.content) {
      const bytes = decodeBase64Content(meta.data.content);
      read = { bytes: bytes.subarray(0, max), truncated: bytes.byteLength > max };
    } else {
      // Above 1 MiB GitHub sends no inline content: stream the raw bytes, stopping at the cap.
      const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/readme", {
        owner: access.owner,
        repo: access.repo,
        ref,
        mediaType: { format: "raw" },
        request: STREAMED_BODY,
      });
      read = await readAtMost(data as unknown as ReadableStream<Uint8Array>, max);
    }
    const decoded = decodeContent(read.bytes, max, read.truncated);
    if (decoded.kind === "binary")
      return { path: meta.data.path, note: `binary (${decoded.type}); not shown` };
    return {
      path: meta.data.path,
      size: meta.data.size,
      text: decoded.text,
      ...(decoded.truncated
        ? {
            truncated: `[TRUNCATED: first ${formatBytes(decoded.returnedBytes)} of ${formatBytes(meta.data.size)}]`,
          }
        : {}),
    };
  } catch (error) {
    if ((error as { status?: unknown })?.status === 404) return null;
    throw error;
  }
}

/** get_repository_overview: what a repository is, at a glance, for orientation before reading files. */
export const getRepositoryOverviewTool = defineRepositoryTool({
  name: "get_repository_overview",
  title: "Get repository overview",
  operation: "analyze",
  description: [
    "Get an overview of a repository to orient yourself: description, default branch, topics, visibility, languages (bytes per language), the README text (capped at 32 KiB or the policy's maxFileSize, whichever is smaller) and file-tree statistics (file and directory counts, total size, most common extensions, top-level entries) at the default branch.",
    "Needs the analyze operation.",
    POLICY_NOTE,
  ].join(" "),
  inputSchema: { owner: ownerArg, repo: repoArg },
  targetDetails: () => ({}),
  // No ref argument, but the README and tree are read at the default branch, which must be allowed.
  refs: () => ({ ref: undefined }),
  run: async (access, args, ctx) => {
    const { data: repository } = await access.octokit.request("GET /repos/{owner}/{repo}", {
      owner: args.owner,
      repo: args.repo,
    });
    const ref = access.refs.ref?.pinned ?? repository.default_branch;
    const { data: languages } = await access.octokit.request("GET /repos/{owner}/{repo}/languages", {
      owner: args.owner,
      repo: args.repo,
    });
    const { data: tree } = await access.octokit.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", {
      owner: args.owner,
      repo: args.repo,
      tree_sha: ref,
      recursive: "1",
    });
    const cap = Math.min(ctx.limits.readmeBytes, access.decision.maxFileSize);
    const readmeInfo = await readme(access, ref, cap);
    const overview = {
      repository: repository.full_name,
      description: repository.description ?? null,
      homepage: repository.homepage || null,
      default_branch: repository.default_branch,
      read_at: ref,
      visibility: repository.visibility ?? (repository.private ? "private" : "public"),
      archived: repository.archived,
      topics: repository.topics ?? [],
      license: repository.license?.spdx_id ?? null,
      created_at: repository.created_at,
      pushed_at: repository.pushed_at,
      languages,
      tree: treeStats(tree.tree as TreeItem[], tree.truncated),
    };
    if (!readmeInfo) return jsonResult({ ...overview, readme: null });
    const { text, ...readmeMeta } = readmeInfo;
    return textResult(
      JSON.stringify({ ...overview, readme: readmeMeta }, null, 2),
      typeof text === "string" ? `README (${String(readmeMeta.path)}):\n${text}` : "",
    );
  },
});
