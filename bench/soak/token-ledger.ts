/**
 * Token accounting across the whole soak: what the GitHub emulator minted and revoked (its own record) against
 * the audit trail's `token.grant`, `token.revoke` and `token.revoke.fail` events, matched by fingerprint (the
 * emulator keeps the first 12 hex characters of SHA-256(token), the trail the first 16).
 */
import type { AuditEvent } from "../../src/audit/event.ts";

export interface EmulatorMint {
  time: string;
  requestId: string;
  tokenFingerprint: string;
}

export interface EmulatorRequest {
  requestId: string;
  time: string;
  durationMs: number;
}

/** A CloudWatch outage of a `deny` phase, in epoch ms. */
export interface DenyOutage {
  /** The fault was switched on. */
  faultOn: number;
  /** The broker first reported a failed sink write: from here it knows the sink is down. */
  knownDown: number;
  /** The fault was switched off. */
  faultOff: number;
}

export interface TokenLedger {
  minted: number;
  grants: number;
  /** Mints with exactly one `token.grant`. */
  mintedWithGrant: number;
  /** Tokens granted in more than one `token.grant` event. */
  grantedTwice: number;
  /** `token.grant` events naming a token the emulator never minted. */
  grantsWithoutMint: number;
  /** Mints with no grant, all inside a `deny` outage and revoked: the grant write failed, the token was never used. */
  unrecordedRevoked: number;
  /** Mints with no grant that are not explained so (the defect "none missing" is about). */
  missingGrants: number;
  revoked: number;
  /** Not revoked, with a `token.revoke.fail` event (it expires on its own within the hour). */
  unrevokedWithFailEvent: number;
  /** Not revoked and no `token.revoke.fail` event: a token left valid silently. */
  unrevokedSilently: number;
  revokeEvents: number;
  revokeFailEvents: number;
  /** Mints whose request reached GitHub while the broker knew the sink was down (under `deny`); must be 0. */
  mintedWhileDown: number;
  examples: string[];
}

const PREFIX = 12;
/** How long after a mint its `token.grant` write may still be on its way to the sink (group commit, load). */
const GRANT_WRITE_GRACE_MS = 2000;
/**
 * How long after the broker knew the sink was down a mint it had sent just before may still reach the emulator's
 * handler (two shared cores, the whole test suite running): the emulator's clock is the only one the soak has
 * for a mint. A broker that kept minting during an outage (seconds long) shows far beyond this.
 */
const IN_FLIGHT_GRACE_MS = 100;

function prefix(fingerprint: string | undefined): string | undefined {
  return fingerprint ? fingerprint.slice(0, PREFIX) : undefined;
}

function countBy(events: AuditEvent[], type: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (event.type !== type) continue;
    const fp = prefix(event.token?.fingerprint);
    if (fp) counts.set(fp, (counts.get(fp) ?? 0) + 1);
  }
  return counts;
}

/** Matches the emulator's mints and revocations with the trail's token events. */
export function balanceTokens(input: {
  mints: EmulatorMint[];
  revokedFingerprints: string[];
  requests: EmulatorRequest[];
  events: AuditEvent[];
  denyOutages: DenyOutage[];
}): TokenLedger {
  const grants = countBy(input.events, "token.grant");
  const revokeEvents = countBy(input.events, "token.revoke");
  const revokeFails = countBy(input.events, "token.revoke.fail");
  const revoked = new Set(input.revokedFingerprints.map((f) => f.slice(0, PREFIX)));
  const requestStart = new Map(
    input.requests.map((r) => [r.requestId, Date.parse(r.time) - r.durationMs] as const),
  );
  const minted = new Set<string>();
  const ledger: TokenLedger = {
    minted: input.mints.length,
    grants: [...grants.values()].reduce((a, b) => a + b, 0),
    mintedWithGrant: 0,
    grantedTwice: [...grants.values()].filter((n) => n > 1).length,
    grantsWithoutMint: 0,
    unrecordedRevoked: 0,
    missingGrants: 0,
    revoked: 0,
    unrevokedWithFailEvent: 0,
    unrevokedSilently: 0,
    revokeEvents: [...revokeEvents.values()].reduce((a, b) => a + b, 0),
    revokeFailEvents: [...revokeFails.values()].reduce((a, b) => a + b, 0),
    mintedWhileDown: 0,
    examples: [],
  };
  const example = (text: string) => {
    if (ledger.examples.length < 8) ledger.examples.push(text);
  };
  for (const mint of input.mints) {
    const fp = mint.tokenFingerprint.slice(0, PREFIX);
    minted.add(fp);
    // When the mint request started (the emulator logs the end); the broker's pre-mint check came before it.
    const started = requestStart.get(mint.requestId) ?? Date.parse(mint.time);
    const finished = Date.parse(mint.time);
    const inOutage = input.denyOutages.some(
      (w) => started >= w.knownDown + IN_FLIGHT_GRACE_MS && started <= w.faultOff,
    );
    if (inOutage) {
      ledger.mintedWhileDown += 1;
      example(`minted while the sink was known down: ${fp} at ${new Date(started).toISOString()}`);
    }
    const grantCount = grants.get(fp) ?? 0;
    if (grantCount >= 1) ledger.mintedWithGrant += 1;
    // Under deny the first calls of an outage mint before the failure is known; their grant write fails and
    // the token is revoked unused. Only a mint whose grant write could have met the fault is explained that
    // way: finished at most GRANT_WRITE_GRACE_MS before the fault was switched on, or while it was on.
    else if (
      revoked.has(fp) &&
      input.denyOutages.some((w) => finished >= w.faultOn - GRANT_WRITE_GRACE_MS && started <= w.faultOff)
    ) {
      ledger.unrecordedRevoked += 1;
    } else {
      ledger.missingGrants += 1;
      example(`minted without token.grant: ${fp} at ${mint.time}, ${revocationNote(input.events, fp)}`);
    }
    if (revoked.has(fp)) ledger.revoked += 1;
    else if (revokeFails.has(fp)) ledger.unrevokedWithFailEvent += 1;
    else {
      ledger.unrevokedSilently += 1;
      example(`minted, never revoked, no token.revoke.fail: ${fp} at ${mint.time}`);
    }
  }
  for (const fp of grants.keys()) {
    if (!minted.has(fp)) {
      ledger.grantsWithoutMint += 1;
      example(`token.grant for a token the emulator never minted: ${fp}`);
    }
  }
  return ledger;
}

/** How the trail says a token ended: the revocation's reason, or that it has no revocation event. */
function revocationNote(events: AuditEvent[], fp: string): string {
  const ending = events.find(
    (e) =>
      (e.type === "token.revoke" || e.type === "token.revoke.fail") && prefix(e.token?.fingerprint) === fp,
  );
  if (!ending) return "no token.revoke event";
  const details = (ending as { details?: { reason?: unknown } }).details;
  return `${ending.type} (reason ${String(details?.reason)}) at ${ending.time}`;
}
