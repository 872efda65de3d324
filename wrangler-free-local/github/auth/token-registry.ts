/**
 * Installation access tokens the emulator has issued: `ghs_` + 36 base62 characters, one hour of
 * life, narrowed to repositories and permissions at mint time, revocable.
 */
import { randomBytes, randomInt } from "node:crypto";
import type { Permissions } from "../config/app-config.ts";
import { tokenFingerprint } from "../http/emulator-log.ts";

export const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export interface IssuedToken {
  installationId: number;
  /** Repository ids the token is narrowed to; undefined = every repository of the installation. */
  repositoryIds: number[] | undefined;
  permissions: Permissions;
  repositorySelection: "all" | "selected";
  expiresAt: Date;
  revoked: boolean;
  fingerprint: string;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * `classic`: `ghs_` + 36 base62 characters. `stateless`: GitHub's newer `ghs_<appId>_<JWT>` shape, so
 * clients can prove they do not assume a fixed token length.
 */
export type TokenFormat = "classic" | "stateless";

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A fresh installation token value. */
export function generateInstallationToken(
  format: TokenFormat = "classic",
  claims: { appId: number; installationId: number; expiresAt: Date } = {
    appId: 0,
    installationId: 0,
    expiresAt: new Date(),
  },
): string {
  if (format === "stateless") {
    const header = base64url({ alg: "HS256", typ: "JWT" });
    const payload = base64url({
      iss: claims.appId,
      iid: claims.installationId,
      exp: Math.floor(claims.expiresAt.getTime() / 1000),
      jti: randomBytes(12).toString("hex"),
    });
    return `ghs_${claims.appId}_${header}.${payload}.${randomBytes(32).toString("base64url")}`;
  }
  let body = "";
  for (let i = 0; i < 36; i++) body += BASE62[randomInt(BASE62.length)];
  return `ghs_${body}`;
}

/** The issued tokens, keyed by value (never exposed; callers see fingerprints). */
export class TokenRegistry {
  private tokens = new Map<string, IssuedToken>();

  constructor(private readonly options: { format?: TokenFormat; appId?: number } = {}) {}

  /** Issues a token and returns its value with the record. */
  issue(grant: Omit<IssuedToken, "expiresAt" | "revoked" | "fingerprint">, now = Date.now()) {
    const expiresAt = new Date(now + TOKEN_LIFETIME_MS);
    const value = generateInstallationToken(this.options.format, {
      appId: this.options.appId ?? 0,
      installationId: grant.installationId,
      expiresAt,
    });
    const record: IssuedToken = {
      ...grant,
      expiresAt,
      revoked: false,
      fingerprint: tokenFingerprint(value),
    };
    this.tokens.set(value, record);
    if (this.tokens.size > 10_000) this.forgetExpired(now);
    return { value, record };
  }

  /** The live record for a token value: undefined when unknown, expired or revoked. */
  lookup(value: string, now = Date.now()): IssuedToken | undefined {
    const record = this.tokens.get(value);
    if (!record || record.revoked || record.expiresAt.getTime() <= now) return undefined;
    return record;
  }

  /** Marks a token revoked; later lookups fail. */
  revoke(value: string): IssuedToken | undefined {
    const record = this.tokens.get(value);
    if (record) record.revoked = true;
    return record;
  }

  /** Drops expired tokens (they answer 401 either way), keeping a long-running emulator bounded. */
  private forgetExpired(now: number): void {
    for (const [value, record] of this.tokens) {
      if (record.expiresAt.getTime() <= now) this.tokens.delete(value);
    }
  }

  /** Every token ever issued, without values, for `/_emulator/tokens`. */
  describe(now = Date.now()) {
    return [...this.tokens.values()].map((t) => ({
      fingerprint: t.fingerprint,
      installationId: t.installationId,
      repositoryIds: t.repositoryIds ?? null,
      repositorySelection: t.repositorySelection,
      permissions: t.permissions,
      expiresAt: t.expiresAt.toISOString(),
      revoked: t.revoked,
      expired: t.expiresAt.getTime() <= now,
    }));
  }
}
