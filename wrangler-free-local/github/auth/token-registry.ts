/**
 * Installation access tokens the emulator has issued: `ghs_` + 36 base62 characters, one hour of
 * life, narrowed to repositories and permissions at mint time, revocable.
 */
import { randomInt } from "node:crypto";
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

/** A fresh installation token value. */
export function generateInstallationToken(): string {
  let body = "";
  for (let i = 0; i < 36; i++) body += BASE62[randomInt(BASE62.length)];
  return `ghs_${body}`;
}

/** The issued tokens, keyed by value (never exposed; callers see fingerprints). */
export class TokenRegistry {
  private tokens = new Map<string, IssuedToken>();

  /** Issues a token and returns its value with the record. */
  issue(grant: Omit<IssuedToken, "expiresAt" | "revoked" | "fingerprint">, now = Date.now()) {
    const value = generateInstallationToken();
    const record: IssuedToken = {
      ...grant,
      expiresAt: new Date(now + TOKEN_LIFETIME_MS),
      revoked: false,
      fingerprint: tokenFingerprint(value),
    };
    this.tokens.set(value, record);
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
