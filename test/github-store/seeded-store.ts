import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRepoStore, type LocalRepoStore } from "../../wrangler-free-local/github/store/index.ts";
import type { RepositoryRecord } from "../../wrangler-free-local/github/store/types.ts";

/** The real seed directory shipped with the emulator. */
export const SEED_DIR = fileURLToPath(new URL("../../wrangler-free-local/seed/repos/", import.meta.url));

/** A store built from the real seeds in a fresh temp data dir, plus its cleanup. */
export async function openSeededStore(
  options: { maxTreeEntries?: number; seedDir?: string; gitBinary?: string } = {},
): Promise<{ store: LocalRepoStore; dataDir: string; cleanup: () => Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "repogate-store-"));
  const store = await createRepoStore({ seedDir: options.seedDir ?? SEED_DIR, dataDir, ...options });
  return {
    store,
    dataDir,
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Looks a seeded repository up, failing loudly when the seeds changed. */
export function repo(store: LocalRepoStore, fullName: string): RepositoryRecord {
  const [owner = "", name = ""] = fullName.split("/");
  const found = store.getRepository(owner, name);
  if (!found) throw new Error(`seed repository ${fullName} is missing`);
  return found;
}
