import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { SeedError } from "./errors.ts";

// The seed format: a repository's metadata plus a replayable history. See seed/repos/README.md.

const isoDate = z.iso.datetime({ offset: true });
const duration = z.string().regex(/^\d+[smhd]$/, "expected a duration such as 30m, 6h or 1d");
const personField = z
  .string()
  .min(1)
  .regex(/^[^<>\n\0]+$/, "must not contain <, > or a newline");

export const seedPersonSchema = z.strictObject({ name: personField, email: personField });

const seedPath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) =>
      !p.startsWith("/") &&
      !p.startsWith('"') &&
      !/[\0\n\r]/.test(p) &&
      p.split("/").every((s) => s !== "" && s !== "." && s !== ".." && s.toLowerCase() !== ".git"),
    "must be a relative path without empty, '.', '..' or '.git' segments",
  );

const refName = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*\/$)(?!.*\.lock$)[A-Za-z0-9._\-/]+$/,
    "must be a plain git ref name",
  );

export const seedFileContentSchema = z.union([
  z.string(),
  z.strictObject({ text: z.string(), executable: z.boolean().optional() }),
  z.strictObject({ base64: z.string().regex(/^[A-Za-z0-9+/=\s]*$/, "must be base64") }),
  z.strictObject({
    generate: z.union([
      z.strictObject({
        bytes: z
          .int()
          .min(1)
          .max(64 * 1024 * 1024),
        seed: z.string(),
      }),
      z.strictObject({
        binary: z
          .int()
          .min(1)
          .max(64 * 1024 * 1024),
        seed: z.string().optional(),
      }),
    ]),
  }),
  z.strictObject({ append: z.string() }),
  z.strictObject({ symlink: z.string().min(1) }),
  z.strictObject({ submodule: z.string().regex(/^[0-9a-f]{40}$/, "must be a 40-hex commit sha") }),
]);

const fileMap = z.record(seedPath, seedFileContentSchema);

const commitFields = {
  /** Branch the commit lands on; defaults to the repository's default branch. */
  branch: refName.optional(),
  /** Label other steps use to point at this commit (`from`, `target`). */
  id: z.string().min(1).optional(),
  message: z.string().min(1),
  author: seedPersonSchema.optional(),
  committer: seedPersonSchema.optional(),
  date: isoDate.optional(),
  files: fileMap.optional(),
  delete: z.array(seedPath).optional(),
  move: z.record(seedPath, seedPath).optional(),
  /** Start `branch` as a new root commit with no parents (like `git checkout --orphan`). */
  orphan: z.boolean().optional(),
};

export const seedCommitSchema = z.strictObject(commitFields);

export const seedStepSchema = z.union([
  z.strictObject({ commit: seedCommitSchema }),
  z.strictObject({
    /** `from` is a branch, a tag or a commit `id`; absent means an empty (orphan) branch is not allowed. */
    branch: z.strictObject({ name: refName, from: z.string().min(1) }),
  }),
  z.strictObject({
    tag: z.strictObject({
      name: refName,
      target: z.string().min(1),
      /** With a message the tag is annotated; without, lightweight. */
      message: z.string().min(1).optional(),
      tagger: seedPersonSchema.optional(),
      date: isoDate.optional(),
    }),
  }),
  z.strictObject({
    merge: z.strictObject({
      from: refName,
      into: refName,
      message: z.string().min(1).optional(),
      author: seedPersonSchema.optional(),
      date: isoDate.optional(),
      id: z.string().min(1).optional(),
    }),
  }),
  z.strictObject({
    repeat: z.strictObject({
      count: z.int().min(1).max(1000),
      branch: refName.optional(),
      /** Clock step between the generated commits (default: the seed's clock step). */
      every: duration.optional(),
      /** `{n}` is replaced by 1..count, `{nnn}` by the zero-padded number; a list is cycled. */
      message: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
      author: z.union([seedPersonSchema, z.array(seedPersonSchema).min(1)]).optional(),
      files: z.record(z.string().min(1), seedFileContentSchema),
    }),
  }),
]);

export const repoSeedSchema = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "must be a GitHub login"),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "must be a GitHub repository name"),
  ownerType: z.enum(["Organization", "User"]),
  description: z.string().nullable().default(null),
  homepage: z.string().nullable().default(null),
  private: z.boolean(),
  topics: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, "must be a GitHub topic")).default([]),
  defaultBranch: refName,
  createdAt: isoDate,
  /** Identity used when a step does not name one. */
  author: seedPersonSchema,
  clock: z.strictObject({ step: duration }).default({ step: "1h" }),
  history: z.array(seedStepSchema).min(1),
});

export type SeedPerson = z.infer<typeof seedPersonSchema>;
export type SeedFileContent = z.infer<typeof seedFileContentSchema>;
export type SeedCommit = z.infer<typeof seedCommitSchema>;
export type SeedStep = z.infer<typeof seedStepSchema>;
export type RepoSeed = z.infer<typeof repoSeedSchema>;

/** A parsed seed together with the file it came from and the raw bytes (hashed to detect changes). */
export interface LoadedSeed {
  file: string;
  raw: Buffer;
  seed: RepoSeed;
}

type Issue = z.core.$ZodIssue;

function depth(issues: Issue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

/**
 * Zod reports a failed union as "Invalid input" with one issue list per alternative; the
 * alternative that got deepest into the value is the one the author meant, so report its issues.
 */
function flatten(issue: Issue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && "errors" in issue && issue.errors.length > 0) {
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0] ?? [];
    if (depth(best) > 0) return best.flatMap((inner) => flatten(inner, path));
  }
  if (issue.code === "invalid_key" && issue.issues.length > 0) {
    return [{ path, message: `invalid key: ${issue.issues.map((i) => i.message).join(", ")}` }];
  }
  return [{ path, message: issue.message }];
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  const where = issue.path.length
    ? issue.path
        .map((p) =>
          typeof p === "number"
            ? `[${p}]`
            : /^[A-Za-z_][\w-]*$/.test(String(p))
              ? `.${String(p)}`
              : `[${JSON.stringify(String(p))}]`,
        )
        .join("")
    : "(root)";
  return `${where.replace(/^\./, "")}: ${issue.message}`;
}

/** Parses one seed document; throws SeedError naming the file and the offending field. */
export function parseSeed(file: string, raw: Buffer): RepoSeed {
  let document: unknown;
  try {
    document = parseYaml(raw.toString("utf8"), { prettyErrors: true });
  } catch (error) {
    throw new SeedError(file, `not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const result = repoSeedSchema.safeParse(document);
  if (!result.success) {
    const issues = result.error.issues
      .flatMap((issue) => flatten(issue, []))
      .slice(0, 5)
      .map(describeIssue)
      .join("; ");
    throw new SeedError(file, issues);
  }
  return result.data;
}

/** Loads every `*.yaml`/`*.yml` seed in a directory, sorted by file name; rejects duplicate repositories. */
export async function loadSeeds(seedDir: string): Promise<LoadedSeed[]> {
  const names = (await readdir(seedDir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  const seen = new Map<string, string>();
  const seeds: LoadedSeed[] = [];
  for (const name of names) {
    const file = path.join(seedDir, name);
    const raw = await readFile(file);
    const seed = parseSeed(name, raw);
    const key = `${seed.owner}/${seed.name}`.toLowerCase();
    const previous = seen.get(key);
    if (previous) throw new SeedError(name, `repository ${key} is already defined in ${previous}`);
    seen.set(key, name);
    seeds.push({ file, raw, seed });
  }
  return seeds;
}
