import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { GitCommandError } from "./errors.ts";

/** How to run `git`: which binary, and the isolated environment every invocation gets. */
export interface GitRunnerOptions {
  /** Defaults to `git` looked up on PATH. */
  gitBinary?: string;
  /** Directory used as HOME so a developer's ~/.gitconfig never changes what the emulator sees. */
  homeDir: string;
  /** PATH handed to git (it needs it for its own helpers); defaults to the current process PATH. */
  path?: string;
}

export interface GitRunOptions {
  /** Bytes written to git's stdin. */
  input?: Buffer | string;
  /** Extra environment (author/committer identity for the builder). */
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 from `git grep` = no match). */
  okExitCodes?: number[];
  maxBuffer?: number;
}

export interface GitResult {
  stdout: Buffer;
  exitCode: number;
}

/** Runs git with a minimal, isolated environment: no system or global config, no prompts, C locale. */
export class GitRunner {
  readonly binary: string;
  private readonly baseEnv: Record<string, string>;

  constructor(options: GitRunnerOptions) {
    this.binary = options.gitBinary ?? "git";
    // An explicit environment (rather than inheriting) keeps GIT_DIR/GIT_INDEX_FILE from a
    // surrounding hook or shell from redirecting the emulator to another repository.
    // PATH is the one variable passed through: git needs it to find its own helpers.
    const path = options.path ?? process.env.PATH ?? "/usr/bin:/bin";
    this.baseEnv = {
      PATH: path,
      HOME: options.homeDir,
      XDG_CONFIG_HOME: options.homeDir,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_TERMINAL_PROMPT: "0",
      GIT_OPTIONAL_LOCKS: "0",
      LC_ALL: "C",
    };
  }

  /** Environment for long-lived git processes spawned outside `run`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.baseEnv, ...extra };
  }

  /** Runs `git <args>` and resolves with its stdout; rejects with GitCommandError on unexpected exit codes. */
  run(args: readonly string[], options: GitRunOptions = {}): Promise<GitResult> {
    const okCodes = options.okExitCodes ?? [];
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.binary,
        args,
        {
          env: this.env(options.env),
          encoding: "buffer",
          maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024,
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          if (!error) {
            resolve({ stdout, exitCode: 0 });
            return;
          }
          const code = typeof error.code === "number" ? error.code : null;
          if (code !== null && okCodes.includes(code)) {
            resolve({ stdout, exitCode: code });
            return;
          }
          reject(
            new GitCommandError(args, code, stderr?.toString("utf8") ?? error.message, { cause: error }),
          );
        },
      );
      if (options.input !== undefined) {
        child.stdin?.on("error", () => {
          // EPIPE when git exits early is reported through the exit callback above.
        });
        child.stdin?.end(options.input);
      }
    });
  }
}

export interface BatchObject {
  sha: string;
  type: "blob" | "tree" | "commit" | "tag";
  size: number;
  content: Buffer;
}

interface PendingRequest {
  resolve: (value: BatchObject | undefined) => void;
  reject: (error: Error) => void;
}

/**
 * One long-lived `git cat-file --batch` per repository: object reads become a line written to a
 * pipe instead of a process start. Requests are answered strictly in order.
 */
export class CatFileBatch {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly queue: PendingRequest[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private stderr = "";

  constructor(
    private readonly runner: GitRunner,
    private readonly gitDir: string,
  ) {}

  /** Reads an object by `<sha>` or `<commit>:<path>`; undefined when git says it is missing. */
  read(spec: string): Promise<BatchObject | undefined> {
    if (spec.includes("\n") || spec.includes("\0")) return Promise.resolve(undefined);
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.setRef(true);
      child.stdin.write(`${spec}\n`);
    });
  }

  /** Ends the git process; pending reads are rejected. */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.stdin.end();
    child.kill();
    this.failAll(new GitCommandError(["cat-file", "--batch"], null, "batch reader closed"));
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.runner.binary, ["--git-dir", this.gitDir, "cat-file", "--batch"], {
      env: this.runner.env(),
      windowsHide: true,
    });
    child.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-2000);
    });
    child.stdin.on("error", (error) => this.failAll(error));
    child.on("error", (error) => {
      if (this.child === child) this.child = undefined;
      this.failAll(error);
    });
    child.on("exit", (code) => {
      if (this.child === child) this.child = undefined;
      this.failAll(new GitCommandError(["cat-file", "--batch"], code, this.stderr || "exited"));
    });
    this.child = child;
    this.setRef(false);
    return child;
  }

  // An idle reader must not keep the Node process alive; a busy one must.
  private setRef(busy: boolean): void {
    const child = this.child;
    if (!child) return;
    for (const handle of [child, child.stdout, child.stdin, child.stderr] as unknown as {
      ref?: () => void;
      unref?: () => void;
    }[]) {
      if (busy) handle.ref?.();
      else handle.unref?.();
    }
  }

  private failAll(error: Error): void {
    const pending = this.queue.splice(0);
    this.buffer = Buffer.alloc(0);
    for (const request of pending) request.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const request = this.queue[0];
      if (!request) break;
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) break;
      const header = this.buffer.subarray(0, newline).toString("utf8");
      if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.queue.shift();
        request.resolve(undefined);
        continue;
      }
      const [sha, type, sizeText] = header.split(" ");
      const size = Number(sizeText);
      if (!sha || !type || !Number.isSafeInteger(size)) {
        this.failAll(new GitCommandError(["cat-file", "--batch"], null, `unexpected header: ${header}`));
        return;
      }
      // Header, content, then one trailing newline.
      if (this.buffer.length < newline + 1 + size + 1) break;
      const content = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + size));
      this.buffer = this.buffer.subarray(newline + 1 + size + 1);
      this.queue.shift();
      request.resolve({ sha, type: type as BatchObject["type"], size, content });
    }
    if (this.queue.length === 0) this.setRef(false);
  }
}
