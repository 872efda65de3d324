import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { SeedError } from "./errors.ts";
import type { GitRunner } from "./git-runner.ts";
import { replaySeed, SeedReplayError } from "./seed-history.ts";
import type { LoadedSeed } from "./seed-schema.ts";

/** Bumped whenever the replay changes the git objects a seed produces, so old builds are redone. */
const BUILDER_VERSION = "1";
/** Written inside the bare repository; its content says which seed bytes built it. */
export const SEED_HASH_FILE = "repogate-seed.sha256";

export interface BuildOutcome {
  gitDir: string;
  /** False when the existing repository already matched the seed and was reused. */
  built: boolean;
}

/** The hash that decides whether a repository on disk is current for its seed. */
export function seedHash(seed: LoadedSeed): string {
  return createHash("sha256").update(`repogate-seed-v${BUILDER_VERSION}\0`).update(seed.raw).digest("hex");
}

/** Where a seed's bare repository lives under the data directory. */
export function repoGitDir(reposDir: string, seed: LoadedSeed): string {
  return path.join(reposDir, seed.seed.owner.toLowerCase(), `${seed.seed.name.toLowerCase()}.git`);
}

async function readHash(gitDir: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(gitDir, SEED_HASH_FILE), "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Builds the bare repository for a seed with `git fast-import`, unless one built from the same seed
 * bytes is already there. The build happens in a temporary directory renamed into place, so a crash
 * or a concurrent builder never leaves a half-written repository behind the final name.
 */
export async function buildRepository(
  runner: GitRunner,
  reposDir: string,
  seed: LoadedSeed,
): Promise<BuildOutcome> {
  const gitDir = repoGitDir(reposDir, seed);
  const hash = seedHash(seed);
  if ((await readHash(gitDir)) === hash) return { gitDir, built: false };

  let replay: ReturnType<typeof replaySeed>;
  try {
    replay = replaySeed(seed.seed);
  } catch (error) {
    if (error instanceof SeedReplayError) throw new SeedError(path.basename(seed.file), error.message);
    throw error;
  }

  await mkdir(path.dirname(gitDir), { recursive: true });
  const tmpDir = `${gitDir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    await runner.run(["-c", "init.defaultBranch=main", "init", "--bare", "--quiet", "--template=", tmpDir]);
    const identity = { name: seed.seed.author.name, email: seed.seed.author.email };
    await runner.run(
      [
        "-c",
        `user.name=${identity.name}`,
        "-c",
        `user.email=${identity.email}`,
        "--git-dir",
        tmpDir,
        "fast-import",
        "--quiet",
        "--done",
        "--date-format=raw",
      ],
      {
        input: replay.stream,
        env: {
          GIT_AUTHOR_NAME: identity.name,
          GIT_AUTHOR_EMAIL: identity.email,
          GIT_COMMITTER_NAME: identity.name,
          GIT_COMMITTER_EMAIL: identity.email,
          GIT_AUTHOR_DATE: `${seed.seed.createdAt}`,
          GIT_COMMITTER_DATE: `${seed.seed.createdAt}`,
        },
      },
    );
    await runner.run(["--git-dir", tmpDir, "symbolic-ref", "HEAD", `refs/heads/${seed.seed.defaultBranch}`]);
    await writeFile(path.join(tmpDir, SEED_HASH_FILE), `${hash}\n`);
    await rm(gitDir, { recursive: true, force: true });
    try {
      await rename(tmpDir, gitDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another builder won the race with the same seed: keep theirs.
      if ((code === "ENOTEMPTY" || code === "EEXIST") && (await readHash(gitDir)) === hash) {
        return { gitDir, built: false };
      }
      throw error;
    }
    return { gitDir, built: true };
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}
