import { z } from "zod";

/** The sentence every repository tool's description ends with: where it works and what a denial says. */
export const POLICY_NOTE =
  "Works only on repositories the policy allows for this operation (see list_repositories); a denial names the policy rule and what it allows.";

/** Argument schemas shared by the tools; every one carries a description the model reads. */
export const ownerArg = z
  .string()
  .min(1)
  .max(39)
  .describe('Repository owner: the organization or user login, e.g. "mycompany".');

export const repoArg = z.string().min(1).max(100).describe('Repository name without the owner, e.g. "web".');

const REF_HELP =
  "Where the policy restricts branches, only those branches or commits reachable from them are allowed (tags and other branches are denied).";

export const optionalRefArg = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe(`Branch name or commit SHA to read at. Omit for the repository's default branch. ${REF_HELP}`);

/** A required ref, described for its role (e.g. "Base of the comparison"). */
export function requiredRefArg(role: string) {
  return z.string().min(1).max(255).describe(`${role}: a branch name or commit SHA. ${REF_HELP}`);
}

export const perPageArg = z
  .number()
  .int()
  .min(1)
  .max(100)
  .optional()
  .describe("Results per page, 1-100 (default 30).");

export const pageArg = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .optional()
  .describe("Page number, starting at 1 (default 1).");

/** A repository path: relative, `/`-separated, no `.`/`..` segments (checked again in `normalizePath`). */
export const pathArg = (what: string) => z.string().max(1024).describe(what);
