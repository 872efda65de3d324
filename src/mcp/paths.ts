import { InvalidToolArgumentError } from "./errors.ts";

/**
 * Normalizes a repository path argument: strips leading/trailing `/`, refuses `.`/`..` segments,
 * empty segments, backslashes and control characters, so a path can never reshape the API route.
 */
export function normalizePath(path: string | undefined): string {
  const trimmed = (path ?? "").replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(trimmed)) {
    throw new InvalidToolArgumentError(
      `path ${JSON.stringify(path)} contains a control character or a backslash`,
    );
  }
  const segments = trimmed.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new InvalidToolArgumentError(
      `path ${JSON.stringify(path)} must be relative to the repository root without "." or ".." or empty segments`,
    );
  }
  return segments.join("/");
}
