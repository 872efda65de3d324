/**
 * A memory budget for one bench process, like the one its production task has (the CDK's Fargate default is
 * 1,024 MiB, `memoryMiB` in infrastructure/lib/settings.ts). Node sizes V8's heap from the cgroup's limit
 * (`process.constrainedMemory()`): on a 24 GiB machine without one, V8 lets the old generation fill up to
 * gigabytes before a full collection, so peak RSS under load measures V8's room, not the server. Each
 * server under test gets its own cgroup, as each task has its own memory.
 *
 * Needs a writable cgroup hierarchy (root, Linux; v1's memory controller or v2's `memory.max`); where there
 * is none, `createMemoryLimit` says why and the process runs without a limit.
 */
import { access, mkdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface MemoryLimit {
  megabytes: number;
  /** The command and arguments that start `command` inside the cgroup (through `sh`, which joins, then execs). */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Removes the cgroup; call after the process has exited. */
  remove(): Promise<void>;
}

const V1_MEMORY = "/sys/fs/cgroup/memory";
const V2_ROOT = "/sys/fs/cgroup";

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A cgroup named `name` limited to `megabytes`, or the reason none could be made. */
export async function createMemoryLimit(
  name: string,
  megabytes: number,
): Promise<MemoryLimit | { unavailable: string }> {
  const bytes = String(megabytes * 1024 * 1024);
  const v2 = await exists(join(V2_ROOT, "cgroup.controllers"));
  const dir = join(v2 ? V2_ROOT : V1_MEMORY, name);
  try {
    if (!v2 && !(await exists(V1_MEMORY)))
      return { unavailable: "no cgroup memory controller on this machine" };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, v2 ? "memory.max" : "memory.limit_in_bytes"), bytes);
  } catch (error) {
    await rmdir(dir).catch(() => {});
    return { unavailable: `cannot set a memory cgroup at ${dir}: ${(error as Error).message}` };
  }
  return {
    megabytes,
    wrap: (command, args) => ({
      command: "sh",
      // `$0` is the command, `"$@"` its arguments: nothing is interpolated into the script.
      args: ["-c", `echo $$ > '${join(dir, "cgroup.procs")}' && exec "$0" "$@"`, command, ...args],
    }),
    remove: async () => {
      await rmdir(dir).catch(() => {});
    },
  };
}
