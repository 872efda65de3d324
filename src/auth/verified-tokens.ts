import { createHash } from "node:crypto";
import type { Principal } from "./principal.ts";

/**
 * Principals of tokens verified recently, so a client's every request does not pay for a signature check and
 * claim validation again (the same access token arrives with each call of a conversation). An entry lives at
 * most `maxAgeMs` and never past the token's own `exp`; the cache is bounded, and keyed by a SHA-256 of the
 * token so no bearer token is held in it. Each entry is tied to the key set it was verified against (a
 * `generation` the verifier moves on whenever it fetches the JWKS, and which is only current while that set is
 * fresh), so a key the IdP withdraws stops being honoured exactly when it would without the cache.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, { principal: Principal; until: number; generation: number }>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;

  constructor(options: { maxAgeMs: number; maxEntries: number }) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#maxEntries = options.maxEntries;
  }

  /**
   * The principal of a token verified less than `maxAgeMs` ago, not expired, against the key set of the
   * current `generation` (negative: no usable set, nothing is reused); otherwise undefined.
   */
  get(token: string, generation: number): Principal | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until > Date.now() && entry.generation === generation) return entry.principal;
    this.#entries.delete(key);
    return undefined;
  }

  /**
   * Remembers a verified token's principal until `validUntilSec` (the first second the verifier would refuse it:
   * its `exp`, or the end of its maximum age) or `maxAgeMs`, whichever is first, for the key-set `generation`
   * that was current when its verification STARTED (a set fetched meanwhile may have dropped the key it was
   * checked with). A negative generation is not remembered.
   */
  set(token: string, principal: Principal, validUntilSec: number, generation: number): Principal {
    if (generation < 0) return principal;
    const frozen = Object.freeze({
      ...principal,
      groups: Object.freeze([...principal.groups]) as string[],
      scopes: Object.freeze([...principal.scopes]) as string[],
    });
    // Map order is insertion order: the oldest entry goes first when the cache is full.
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(keyOf(token), {
      principal: frozen,
      until: Math.min(validUntilSec * 1000, Date.now() + this.#maxAgeMs),
      generation,
    });
    return frozen;
  }
}

function keyOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
