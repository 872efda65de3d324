import { z } from "zod";
import { patternProblem } from "./matcher.ts";
import { branchNameProblem } from "./ref.ts";

/** The operations a rule can grant (DESIGN.md "Policy file"). */
export const OPERATIONS = ["read", "analyze", "diff"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Used when neither the rule nor `defaults` sets `maxFileSize`. */
export const DEFAULT_MAX_FILE_SIZE = 1024 * 1024;

// KiB/MiB/GiB are powers of 1024 (IEC); KB/MB/GB are powers of 1000 (SI). Units are case-sensitive on
// purpose: "mb" (millibits?) or "Mb" (megabits) are ambiguous, so they are refused rather than guessed.
const UNITS: Record<string, number> = {
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const SIZE = /^(\d+(?:\.\d+)?) ?(B|KB|MB|GB|KiB|MiB|GiB)?$/;

/** Parses a byte size: a positive integer, or a number with a unit (`1MiB`, `500KB`, `2 MB`, `1.5MiB`). */
export function parseByteSize(value: unknown): { ok: true; bytes: number } | { ok: false; message: string } {
  const expected =
    "must be a positive number of bytes or a size like 1MiB, 500KB, 2MB (KiB/MiB/GiB = 1024-based, KB/MB/GB = 1000-based)";
  let bytes: number;
  if (typeof value === "number") {
    if (!Number.isInteger(value))
      return { ok: false, message: `${expected} (got ${value}: not a whole number of bytes)` };
    bytes = value;
  } else if (typeof value === "string") {
    const m = SIZE.exec(value.trim());
    if (!m?.[1]) return { ok: false, message: `${expected} (got ${JSON.stringify(value)})` };
    bytes = Math.floor(Number(m[1]) * (UNITS[m[2] ?? "B"] ?? 1));
  } else {
    return { ok: false, message: `${expected} (got ${value === null ? "null" : typeof value})` };
  }
  if (bytes < 1)
    return { ok: false, message: `${expected} (got ${JSON.stringify(value)}, which is less than 1 byte)` };
  if (!Number.isSafeInteger(bytes))
    return { ok: false, message: `${expected} (got ${JSON.stringify(value)}: too large)` };
  return { ok: true, bytes };
}

const byteSize = z.unknown().transform((value, ctx) => {
  const parsed = parseByteSize(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  }
  return parsed.bytes;
});

const repositoryPattern = z.string().superRefine((value, ctx) => {
  const problem = patternProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const branchName = z.string().superRefine((value, ctx) => {
  const problem = branchNameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: `is not a valid branch name: ${problem}` });
});

// Refused rather than trimmed: a group " eng" silently becoming "eng" would change who a rule covers.
const nonEmptyName = z.string().superRefine((value, ctx) => {
  if (value.length === 0) ctx.addIssue({ code: "custom", message: "must not be empty" });
  else if (value.trim() !== value)
    ctx.addIssue({ code: "custom", message: "must not start or end with whitespace" });
});

function uniqueList<T extends z.ZodType>(item: T, what: string, emptyMeans: string | null) {
  return z.array(item).superRefine((list, ctx) => {
    if (list.length === 0 && emptyMeans !== null) {
      ctx.addIssue({ code: "custom", message: `must list at least one ${what} (${emptyMeans})` });
    }
    const seen = new Set<unknown>();
    list.forEach((entry, index) => {
      if (seen.has(entry))
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `duplicate ${what} ${JSON.stringify(entry)}`,
        });
      seen.add(entry);
    });
  });
}

/** One ordered rule of `repositories:`; `operations: []` is an explicit deny. */
export const ruleSchema = z.strictObject({
  pattern: repositoryPattern,
  operations: uniqueList(z.enum(OPERATIONS), "operation", null),
  branches: uniqueList(branchName, "branch", "omit the field to allow any ref").optional(),
  maxFileSize: byteSize.optional(),
  groups: uniqueList(nonEmptyName, "group", "omit the field to apply the rule to everyone").optional(),
  subjects: uniqueList(nonEmptyName, "subject", "omit the field to apply the rule to everyone").optional(),
  description: z.string().optional(),
});

/** The whole policy file (DESIGN.md "Policy file"); unknown keys anywhere are errors. */
export const policyFileSchema = z.strictObject({
  version: z.literal(1),
  defaults: z.strictObject({ maxFileSize: byteSize.optional() }).optional(),
  repositories: z.array(ruleSchema),
});

/** A rule after validation: sizes are in bytes. */
export type PolicyRuleInput = z.output<typeof ruleSchema>;
/** The validated policy file. */
export type PolicyFileInput = z.output<typeof policyFileSchema>;
