import { STREAMED_BODY } from "../../github/native-json-bodies.ts";
import { formatBytes } from "../../policy/index.ts";
import { decodeBase64Content, decodeContent, readAtMost } from "../content.ts";
import { normalizePath } from "../paths.ts";
import { jsonResult, ruleName, textResult } from "../results.ts";
import { defineRepositoryTool, type RepositoryAccess } from "../tool.ts";
import { optionalRefArg, ownerArg, POLICY_NOTE, pathArg, repoArg } from "./arguments.ts";

interface ContentEntry {
  type?: string;
  name?: string;
  path?: string;
  size?: number;
  sha?: string;
  encoding?: string;
  content?: string;
  target?: string;
}

/** A notice naming the cap and the rule that set it. */
export function truncationNotice(access: RepositoryAccess, returned: number, total: number | null): string {
  const rule = ruleName(access.decision) ?? "the policy defaults";
  const of = total === null ? "" : ` of ${formatBytes(total)}`;
  return `[TRUNCATED: returned the first ${formatBytes(returned)}${of}; repogate caps content at maxFileSize ${formatBytes(access.decision.maxFileSize)}, set by ${rule}. The rest of the file was not read.]`;
}

async function fileBytes(
  access: RepositoryAccess,
  path: string,
  ref: string | undefined,
  entry: ContentEntry,
): Promise<{ bytes: Uint8Array; truncatedUpstream: boolean }> {
  const max = access.decision.maxFileSize;
  if (entry.encoding === "base64" && typeof entry.content === "string") {
    const bytes = decodeBase64Content(entry.content);
    return { bytes: bytes.subarray(0, max), truncatedUpstream: bytes.byteLength > max };
  }
  // Over 1 MiB GitHub sends no inline content; the raw media type streams the bytes, and only up to
  // the cap are read (the cap applies to bytes returned, whatever size GitHub declared).
  const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
    owner: access.owner,
    repo: access.repo,
    path,
    ...(ref ? { ref } : {}),
    mediaType: { format: "raw" },
    request: STREAMED_BODY,
  });
  const read = await readAtMost(data as unknown as ReadableStream<Uint8Array>, max);
  return { bytes: read.bytes, truncatedUpstream: read.truncated };
}

/** get_file_contents: a file's text (capped), a binary file's description, or a directory listing. */
export const getFileContentsTool = defineRepositoryTool({
  name: "get_file_contents",
  title: "Get file or directory contents",
  operation: "read",
  description: [
    "Read one file or list one directory of a GitHub repository that repogate's policy allows you to read.",
    "For a text file, returns its UTF-8 text, capped at the policy's maxFileSize (a [TRUNCATED] notice says when and how much was cut).",
    "A binary file is described (type, size) instead of returned. For a directory, returns its entries as JSON (name, path, type, size); use get_repository_tree for a recursive listing.",
    POLICY_NOTE,
  ].join(" "),
  inputSchema: {
    owner: ownerArg,
    repo: repoArg,
    path: pathArg(
      'File or directory path relative to the repository root, e.g. "src/index.ts"; "" or "/" for the root directory.',
    ).optional(),
    ref: optionalRefArg,
  },
  targetDetails: (args) => ({ path: args.path, ref: args.ref }),
  refs: (args) => ({ ref: args.ref }),
  run: async (access, args) => {
    const path = normalizePath(args.path);
    // Without a ref restriction the default branch needs no lookup: GitHub reads it when ref is omitted.
    const ref = access.refs.ref?.pinned;
    const { data } = await access.octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: args.owner,
      repo: args.repo,
      path,
      ...(ref ? { ref } : {}),
    });
    const where = `${args.owner}/${args.repo}:${path || "/"} at ${ref ?? "the default branch"}`;
    if (Array.isArray(data)) {
      const entries = (data as ContentEntry[]).map((e) => ({
        name: e.name,
        path: e.path,
        type: e.type,
        size: e.size ?? 0,
      }));
      return jsonResult({
        repository: `${args.owner}/${args.repo}`,
        path: path || "/",
        ref: ref ?? "(default branch)",
        entries,
      });
    }
    const entry = data as ContentEntry;
    if (entry.type === "symlink") {
      return textResult(`${where} is a symbolic link to ${JSON.stringify(entry.target ?? "")}.`);
    }
    if (entry.type === "submodule") {
      return textResult(
        `${where} is a git submodule pinned at commit ${entry.sha}; its contents live in another repository.`,
      );
    }
    if (entry.type !== "file") {
      return textResult(`${where} is a ${entry.type ?? "thing of unknown type"}; nothing to show.`);
    }
    const declared = typeof entry.size === "number" ? entry.size : null;
    const { bytes, truncatedUpstream } = await fileBytes(access, path, ref, entry);
    const decoded = decodeContent(bytes, access.decision.maxFileSize, truncatedUpstream);
    if (decoded.kind === "binary") {
      return textResult(
        `${where} is a binary file (${decoded.type}${declared === null ? "" : `, ${formatBytes(declared)}`}, blob ${entry.sha}). Its content is not returned: repogate returns text files only.`,
      );
    }
    const header = `File ${where} (${declared === null ? "size unknown" : formatBytes(declared)}, blob ${entry.sha}):`;
    const notice = decoded.truncated ? truncationNotice(access, decoded.returnedBytes, declared) : "";
    return textResult(header, decoded.text, notice);
  },
});
