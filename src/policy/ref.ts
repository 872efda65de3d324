import { InvalidRefError, printable } from "./errors.ts";

/** A ref as a caller passes it: a branch name, a tag name or a commit SHA (full or abbreviated). */
export type RefInput = string;

/** Longest ref we accept; git itself has no limit, but file systems and URLs do. */
export const MAX_REF_LENGTH = 255;

const HEX_SHA = /^[0-9a-fA-F]{7,40}$/;
const FULL_SHA = /^[0-9a-fA-F]{40}$/;

/** True for 7-40 hexadecimal characters: something GitHub may resolve as a commit SHA. */
export function looksLikeSha(ref: string): boolean {
  return HEX_SHA.test(ref);
}

/** True for a full 40-character SHA-1, which GitHub always resolves as a commit. */
export function isFullSha(ref: string): boolean {
  return FULL_SHA.test(ref);
}

/**
 * Returns why `ref` is not a valid ref name, or null. Follows `git check-ref-format --allow-onelevel`
 * (so revision syntax like `HEAD~1`, `main^` or `@{-1}` is refused too) and adds a few stricter rules:
 * no leading `-` (option injection), no `%` (no URL-decoding confusion), no Unicode control or format
 * characters (invisible in logs), at most 255 characters.
 */
export function refProblem(ref: string): string | null {
  if (ref.length === 0) return "it is empty";
  if (ref.length > MAX_REF_LENGTH) return `it is longer than ${MAX_REF_LENGTH} characters`;
  if (/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]/u.test(ref))
    return "it contains a control or invisible character";
  if (/\s/u.test(ref)) return "it contains whitespace";
  const bad = /[~^:?*[\\%]/.exec(ref);
  if (bad) return `it contains "${bad[0]}"`;
  if (ref.includes("..")) return `it contains ".."`;
  if (ref.includes("@{")) return `it contains "@{"`;
  if (ref === "@") return `it is "@"`;
  if (ref.startsWith("-")) return `it starts with "-"`;
  if (ref.startsWith("/") || ref.endsWith("/")) return `it starts or ends with "/"`;
  if (ref.includes("//")) return `it contains "//"`;
  if (ref.endsWith(".")) return `it ends with "."`;
  for (const component of ref.split("/")) {
    if (component.startsWith(".")) return `a "/"-separated part starts with "."`;
    if (component.endsWith(".lock")) return `a "/"-separated part ends with ".lock"`;
  }
  return null;
}

/** Validates a ref name and returns it unchanged. @throws InvalidRefError */
export function validateRef(ref: unknown): string {
  if (typeof ref !== "string") throw new InvalidRefError(printable(String(ref)), "it is not a string");
  const problem = refProblem(ref);
  if (problem) throw new InvalidRefError(printable(ref), problem);
  return ref;
}

/** Validates a branch name as listed in a policy (a ref name that is also not a full ref path). */
export function branchNameProblem(branch: string): string | null {
  const problem = refProblem(branch);
  if (problem) return problem;
  if (branch.startsWith("refs/")) return `list the branch name itself, not "refs/..."`;
  if (branch === "HEAD") return `"HEAD" is not a branch name`;
  return null;
}
