/** URL building for repository paths and refs. */

/** Encodes each segment of a repository path (or a ref containing `/`) but keeps the slashes. */
export function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

/** The last segment of a path. */
export function baseName(path: string): string {
  const at = path.lastIndexOf("/");
  return at === -1 ? path : path.slice(at + 1);
}
