// Everything a caller hands to git goes through here first: refs, SHAs and paths that could be
// read as options (`--upload-pack=...`), revision syntax (`main..evil`, `@{-1}`) or escape the tree.

const FULL_SHA = /^[0-9a-f]{40}$/;
const SHORT_SHA = /^[0-9a-f]{4,40}$/i;

/** True for a full lowercase 40-hex object id. */
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/** True for 4 to 40 hex digits (what git accepts as an abbreviated object id). */
export function isShaLike(value: string): boolean {
  return SHORT_SHA.test(value);
}

/** True when `ref` is a plain branch/tag name git would accept and that carries no revision syntax. */
export function isSafeRefName(ref: string): boolean {
  if (ref.length === 0 || ref.length > 255) return false;
  if (ref.startsWith("-") || ref.startsWith("/") || ref.startsWith(".")) return false;
  if (ref.endsWith("/") || ref.endsWith(".") || ref.endsWith(".lock")) return false;
  if (ref.includes("..") || ref.includes("//") || ref.includes("@{") || ref === "@") return false;
  if (ref.includes("/.")) return false;
  for (const char of ref) {
    const code = char.charCodeAt(0);
    // Control characters and space.
    if (code <= 0x20 || code === 0x7f) return false;
  }
  // The characters git reserves for revision syntax and globs.
  return !/[~^:?*[\\]/.test(ref);
}

/**
 * Normalizes a repository-relative path ("" is the root); undefined when it is unsafe:
 * `.`/`..` segments, NUL or newlines, or empty segments in the middle.
 */
export function normalizeRepoPath(input: string): string | undefined {
  if (/[\0\n\r]/.test(input)) return undefined;
  const trimmed = input.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return "";
  const segments = trimmed.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) return undefined;
  return segments.join("/");
}
