/** Options for `repogate local`. */
export interface LocalStackOptions {
  dataDir?: string;
}

/** Starts every local service and keeps running until SIGINT/SIGTERM. */
export async function runLocalStack(_options: LocalStackOptions): Promise<void> {
  throw new Error("not yet");
}
