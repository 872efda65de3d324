/** The soak's figures, the rules they must satisfy, and the one table it prints. */
import type { SecretFinding } from "./secret-scan.ts";
import type { TokenLedger } from "./token-ledger.ts";
import { type CallOutcome, DEFECT_OUTCOMES, type HttpFigures } from "./traffic.ts";

export interface SoakFigures {
  options: { calls: number; clients: number };
  durationMs: number;
  calls: number;
  outcomes: Partial<Record<CallOutcome, number>>;
  /** One example text per outcome other than ok/denied/rate-limited. */
  defectExamples: Record<string, string>;
  http: HttpFigures;
  brokers: { phase: string; exitCode: number | null; stopMs: number; crashed: boolean }[];
  tokens: TokenLedger;
  denyOutage: { faultOn: number; knownDown: number | null; faultOff: number };
  spoolOutage: { faultOn: number; faultOff: number };
  spool: { spooledAtOutageEnd: number; replayedToCloudWatch: number; pendingAfter: number };
  audit: {
    jsonlEvents: number;
    cloudWatchEvents: number;
    cloudWatchOutOfOrder: number;
    cloudWatchDuplicates: number;
    unparsable: number;
    verifyJsonl: { exitCode: number; output: string };
    verifyCloudWatch: { exitCode: number; output: string };
  };
  kmsSignCalls: number;
  /** Count-limited GitHub faults not used up by the end (a fault that never fired tested nothing). */
  leftoverGitHubFaults: number;
  secrets: { scannedBytes: number; found: number; examples: SecretFinding[] };
}

/** Every rule of issue 9 §6 the figures break; empty when the run is clean. */
export function soakProblems(f: SoakFigures): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  check(f.calls === f.options.calls, `${f.calls} tool calls answered of ${f.options.calls}`);
  for (const outcome of DEFECT_OUTCOMES) {
    const count = f.outcomes[outcome] ?? 0;
    check(count === 0, `${count} call(s) ${outcome}: ${f.defectExamples[outcome] ?? ""}`);
  }
  check((f.outcomes.ok ?? 0) > 0, "no call succeeded");
  check((f.outcomes.denied ?? 0) > 0, "no call was denied: the policy was not exercised");
  check((f.outcomes["rate-limited"] ?? 0) > 0, "no call was rate-limited: the limiter was not exercised");
  check(
    f.http.errorsWithoutJsonRpcBody === 0,
    `${f.http.errorsWithoutJsonRpcBody} HTTP error(s) without a JSON-RPC error body: ${f.http.examples.join(" | ")}`,
  );
  for (const b of f.brokers)
    check(b.exitCode === 0, `broker (${b.phase}) exited with ${b.exitCode} after SIGTERM`);
  const t = f.tokens;
  check(t.minted > 0, "nothing was minted");
  check(t.missingGrants === 0, `${t.missingGrants} token(s) minted without a token.grant event`);
  check(t.grantsWithoutMint === 0, `${t.grantsWithoutMint} token.grant event(s) for tokens never minted`);
  check(t.grantedTwice === 0, `${t.grantedTwice} token(s) with more than one token.grant event`);
  check(
    t.unrevokedSilently === 0,
    `${t.unrevokedSilently} token(s) neither revoked nor reported by token.revoke.fail`,
  );
  check(t.revokeFailEvents > 0, "no token.revoke.fail: the failed-revocation fault did not reach the broker");
  check(
    t.mintedWhileDown === 0,
    `${t.mintedWhileDown} token(s) minted under deny while the sink was known down`,
  );
  check(f.denyOutage.knownDown !== null, "the broker never reported the CloudWatch outage under deny");
  check(f.audit.verifyJsonl.exitCode === 0, `audit verify (JSONL): ${f.audit.verifyJsonl.output}`);
  check(
    f.audit.verifyCloudWatch.exitCode === 0,
    `audit verify --cloudwatch: ${f.audit.verifyCloudWatch.output}`,
  );
  check(
    f.audit.cloudWatchOutOfOrder === 0,
    `${f.audit.cloudWatchOutOfOrder} CloudWatch event(s) out of id order`,
  );
  check(f.audit.unparsable === 0, `${f.audit.unparsable} CloudWatch message(s) are not audit events`);
  check(f.spool.spooledAtOutageEnd > 0, "nothing was spooled during the CloudWatch outage under spool");
  check(
    f.spool.replayedToCloudWatch === f.spool.spooledAtOutageEnd,
    `${f.spool.spooledAtOutageEnd - f.spool.replayedToCloudWatch} spooled event(s) never reached CloudWatch`,
  );
  check(f.spool.pendingAfter === 0, `${f.spool.pendingAfter} event(s) left in the spool`);
  check(f.leftoverGitHubFaults === 0, `${f.leftoverGitHubFaults} GitHub fault(s) never fired`);
  check(
    f.secrets.found === 0,
    `${f.secrets.found} secret(s) in logs/audit: ${f.secrets.examples.map((s) => `${s.kind} in ${s.where}`).join(", ")}`,
  );
  return problems;
}

function row(label: string, value: string | number, rule = ""): string {
  return `| ${label.padEnd(58)} | ${String(value).padStart(9)} | ${rule.padEnd(22)} |`;
}

/** The one table the soak prints (Markdown, so it can go into bench/README.md as is). */
export function formatSoakTable(f: SoakFigures): string {
  const o = (k: CallOutcome) => f.outcomes[k] ?? 0;
  const t = f.tokens;
  const down = f.denyOutage;
  const lines = [
    row("figure", "value", "must be"),
    `| ${"-".repeat(58)} | ${"-".repeat(8)}: | ${"-".repeat(22)} |`,
    row("tool calls answered", f.calls, `= ${f.options.calls}`),
    row("  ok (answer checked)", o("ok")),
    row("  denied by policy (as planned)", o("denied"), "> 0"),
    row("  rate-limited (429 + JSON-RPC error)", o("rate-limited"), "> 0"),
    row("  refused: audit sink down (503 + JSON-RPC error)", o("refused-audit-down")),
    row("  failed with a clear error (GitHub status, code)", o("failed-clear")),
    row("  'Internal error' results", o("internal-error"), "0"),
    row("  failed without a clear error", o("failed-unclear"), "0"),
    row("  hung (no answer in the call timeout)", o("hung"), "0"),
    row("  wrong answer / wrong allow or deny", o("wrong-answer") + o("wrong-decision"), "0"),
    row("HTTP errors without a JSON-RPC error body", f.http.errorsWithoutJsonRpcBody, "0"),
    row("connection refused while the broker restarted (retried)", f.http.connectionFailures),
    row("tokens minted (GitHub emulator)", t.minted, "> 0"),
    row("token.grant events", t.grants),
    row("  mints with their token.grant", t.mintedWithGrant),
    row("  mints, grant write failed under deny, revoked unused", t.unrecordedRevoked),
    row("  mints without token.grant (unexplained)", t.missingGrants, "0"),
    row(
      "  token.grant without a mint / granted twice",
      `${t.grantsWithoutMint} / ${t.grantedTwice}`,
      "0 / 0",
    ),
    row("tokens revoked (GitHub emulator)", t.revoked),
    row("  not revoked, with token.revoke.fail (expire in 1 h)", t.unrevokedWithFailEvent),
    row("  not revoked, no token.revoke.fail", t.unrevokedSilently, "0"),
    row("token.revoke / token.revoke.fail events", `${t.revokeEvents} / ${t.revokeFailEvents}`, "fail > 0"),
    row("under deny: mints while the sink was known down", t.mintedWhileDown, "0"),
    row(
      "  outage: fault on → broker knew (ms) → fault off (ms)",
      down.knownDown === null ? "never" : `${down.knownDown - down.faultOn}→${down.faultOff - down.faultOn}`,
    ),
    row(
      "audit verify, JSONL trail (across SIGTERM + restart)",
      f.audit.verifyJsonl.exitCode === 0 ? "OK" : "BROKEN",
      "OK",
    ),
    row(
      "audit verify --cloudwatch (spool + deny phases)",
      f.audit.verifyCloudWatch.exitCode === 0 ? "OK" : "BROKEN",
      "OK",
    ),
    row("audit events: JSONL / CloudWatch", `${f.audit.jsonlEvents} / ${f.audit.cloudWatchEvents}`),
    row(
      "CloudWatch events out of order / duplicated",
      `${f.audit.cloudWatchOutOfOrder} / ${f.audit.cloudWatchDuplicates}`,
      "0 / -",
    ),
    row("spooled during the outage (spool)", f.spool.spooledAtOutageEnd, "> 0"),
    row("  of them in CloudWatch afterwards", f.spool.replayedToCloudWatch, "= spooled"),
    row("  left in the spool", f.spool.pendingAfter, "0"),
    row(
      "brokers started / exit codes after SIGTERM",
      `${f.brokers.length} / ${f.brokers.map((b) => b.exitCode).join(",")}`,
      "all 0",
    ),
    row("KMS Sign calls (throttled ones included)", f.kmsSignCalls),
    row("GitHub faults that never fired", f.leftoverGitHubFaults, "0"),
    row(
      `secrets in logs and audit (${(f.secrets.scannedBytes / 1e6).toFixed(1)} MB scanned)`,
      f.secrets.found,
      "0",
    ),
    row("duration (s)", (f.durationMs / 1000).toFixed(0)),
  ];
  const examples = [
    ...Object.entries(f.defectExamples).map(([outcome, text]) => `- ${outcome}: ${text}`),
    ...f.tokens.examples.map((text) => `- token: ${text}`),
  ];
  return [
    ...lines,
    ...(examples.length > 0 ? ["", "One example per outcome other than ok:", ...examples] : []),
  ].join("\n");
}
