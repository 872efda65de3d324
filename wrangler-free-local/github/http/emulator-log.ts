/**
 * What crossed the wire: every request, token mint and revocation, kept in process and served on
 * `/_emulator/*` so tests in this or another process can count upstream calls. Token values are
 * never stored, only their fingerprint.
 */
import { createHash } from "node:crypto";

export interface RequestLogEntry {
  seq: number;
  time: string;
  requestId: string;
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  status: number;
  /** Time the emulator spent on the request, in ms with microseconds. */
  durationMs: number;
  /** `installation`, `app`, or `anonymous`. */
  auth: "installation" | "app" | "anonymous";
  installationId?: number;
  tokenFingerprint?: string;
  /** Set when a fault switch answered or delayed the request. */
  fault?: string;
}

export interface MintLogEntry {
  seq: number;
  time: string;
  requestId: string;
  installationId: number;
  /** `owner/name` of each repository the token covers; all repositories of the installation when not narrowed. */
  repositories: string[];
  /** True when the request named repositories (or ids). */
  narrowed: boolean;
  /** What the token may do (the installation's permissions when the request named none). */
  permissions: Record<string, string>;
  /** The `permissions` the request body sent, as sent (`{}` included); absent when it sent none. */
  requestedPermissions?: Record<string, string>;
  tokenFingerprint: string;
  expiresAt: string;
}

export interface RevocationLogEntry {
  seq: number;
  time: string;
  requestId: string;
  installationId: number;
  tokenFingerprint: string;
}

/** First 12 hex characters of the token's SHA-256: enough to correlate, useless to an attacker. */
export function tokenFingerprint(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 12);
}

/** In-process record of the emulator's traffic; cleared by `reset()`. */
export class EmulatorLog {
  requests: RequestLogEntry[] = [];
  mints: MintLogEntry[] = [];
  revocations: RevocationLogEntry[] = [];
  /** Entries let go to keep the lists bounded: a count from them is short by this many. */
  dropped = 0;
  private seq = 0;

  /** @param maxEntries per list; the oldest entries go first, so a long-running local stack stays bounded. */
  constructor(private readonly maxEntries = 20_000) {}

  /** Appends a request record. */
  recordRequest(entry: Omit<RequestLogEntry, "seq">): void {
    this.push(this.requests, { seq: ++this.seq, ...entry });
  }

  /** Appends a token mint record. */
  recordMint(entry: Omit<MintLogEntry, "seq">): void {
    this.push(this.mints, { seq: ++this.seq, ...entry });
  }

  /** Appends a revocation record. */
  recordRevocation(entry: Omit<RevocationLogEntry, "seq">): void {
    this.push(this.revocations, { seq: ++this.seq, ...entry });
  }

  private push<T>(list: T[], entry: T): void {
    list.push(entry);
    if (list.length > this.maxEntries) this.dropped += list.splice(0, list.length - this.maxEntries).length;
  }

  /** Counts recorded requests, optionally by method and path prefix. */
  countRequests(filter: { method?: string; pathPrefix?: string } = {}): number {
    return this.requests.filter(
      (r) =>
        (!filter.method || r.method === filter.method.toUpperCase()) &&
        (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)),
    ).length;
  }

  /** Forgets everything recorded so far. */
  reset(): void {
    this.requests = [];
    this.mints = [];
    this.revocations = [];
    this.dropped = 0;
  }

  /** A JSON-safe copy, as served on `/_emulator/log`. */
  snapshot(): {
    requests: RequestLogEntry[];
    mints: MintLogEntry[];
    revocations: RevocationLogEntry[];
    dropped: number;
  } {
    return {
      requests: [...this.requests],
      mints: [...this.mints],
      revocations: [...this.revocations],
      dropped: this.dropped,
    };
  }
}
