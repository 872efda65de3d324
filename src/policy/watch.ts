import { type FSWatcher, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { PolicyEngine } from "./engine.ts";
import { PolicyError } from "./errors.ts";
import { loadPolicyFile, type Policy } from "./load.ts";

/** Result of one reload attempt. */
export type ReloadResult =
  | { status: "applied"; policy: Policy; previousDigest: string }
  | { status: "unchanged"; policy: Policy }
  | { status: "rejected"; error: PolicyError; policy: Policy };

/** What triggered a reload, for the log line. */
export type ReloadTrigger = "manual" | "signal" | "file-change";

/** Options for `PolicyStore.open`. */
export interface PolicyStoreOptions {
  path: string;
  /** Watch the file's directory and reload on change (default true). */
  watch?: boolean;
  /** Quiet period after the last change event before reloading, in ms (default 200). */
  debounceMs?: number;
  /** Called after a new policy is in force (not for unchanged content). */
  onReload?: (event: { policy: Policy; previousDigest: string; trigger: ReloadTrigger }) => void;
  /** Called when a new policy is refused (the previous one stays in force) or the watcher fails. */
  onReloadError?: (
    error: PolicyError | Error,
    event: { path: string; trigger: ReloadTrigger; digestInForce: string },
  ) => void;
}

/**
 * Holds the policy in force. Loads at start (a broken file there is fatal), then reloads on `reload()`
 * (wire SIGHUP to it) and on file changes. A broken new policy is refused and the old one stays in force.
 * The directory is watched rather than the file, so editors' write-then-rename saves and Kubernetes
 * ConfigMap symlink swaps are seen; unrelated changes cost one read and a digest comparison.
 */
export class PolicyStore {
  private current: PolicyEngine;
  private readonly options: PolicyStoreOptions;
  private readonly path: string;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(options: PolicyStoreOptions, engine: PolicyEngine) {
    this.options = options;
    this.path = resolve(options.path);
    this.current = engine;
  }

  /** Loads the policy and starts watching. @throws PolicyError when the initial policy is broken. */
  static async open(options: PolicyStoreOptions): Promise<PolicyStore> {
    const policy = await loadPolicyFile(options.path);
    const store = new PolicyStore(options, new PolicyEngine(policy));
    if (options.watch !== false) store.startWatching();
    return store;
  }

  /** The engine for the policy in force; read it per request so reloads take effect. */
  get engine(): PolicyEngine {
    return this.current;
  }

  /** The policy in force. */
  get policy(): Policy {
    return this.current.policy;
  }

  /** Re-reads the file now; concurrent calls run one after another. Never throws for a broken policy. */
  reload(trigger: ReloadTrigger = "manual"): Promise<ReloadResult> {
    const next = this.queue.then(() => this.reloadNow(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Stops watching; pending debounced reloads are dropped. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }

  private async reloadNow(trigger: ReloadTrigger): Promise<ReloadResult> {
    const previous = this.current.policy;
    let policy: Policy;
    try {
      policy = await loadPolicyFile(this.path, { source: basename(this.path) });
    } catch (error) {
      const refused =
        error instanceof PolicyError
          ? error
          : new PolicyError("POLICY_UNREADABLE", basename(this.path), [
              { line: null, path: "", message: String(error) },
            ]);
      this.options.onReloadError?.(refused, { path: this.path, trigger, digestInForce: previous.digest });
      return { status: "rejected", error: refused, policy: previous };
    }
    if (policy.digest === previous.digest) return { status: "unchanged", policy: previous };
    this.current = new PolicyEngine(policy);
    this.options.onReload?.({ policy, previousDigest: previous.digest, trigger });
    return { status: "applied", policy, previousDigest: previous.digest };
  }

  private startWatching(): void {
    this.watcher = watch(dirname(this.path), { persistent: false }, () => this.scheduleReload());
    this.watcher.on("error", (error) => {
      this.options.onReloadError?.(error, {
        path: this.path,
        trigger: "file-change",
        digestInForce: this.policy.digest,
      });
    });
  }

  private scheduleReload(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      // reload() only rejects when an onReload callback throws; report that too rather than lose it.
      this.reload("file-change").catch((error: Error) => {
        this.options.onReloadError?.(error, {
          path: this.path,
          trigger: "file-change",
          digestInForce: this.policy.digest,
        });
      });
    }, this.options.debounceMs ?? 200);
  }
}
