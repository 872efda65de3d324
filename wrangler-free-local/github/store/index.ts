export { NoCommonAncestorError, RepoStoreError, SeedError } from "./errors.ts";
export { createRepoStore, type LocalRepoStore, type RepoStoreOptions, stableId } from "./git-store.ts";
export { loadSeeds, parseSeed } from "./seed-schema.ts";
export type * from "./types.ts";
