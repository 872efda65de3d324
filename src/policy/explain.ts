import type { PolicyDecision } from "./decision.ts";

/** Renders a byte count as bytes plus the nearest binary unit (`1048576 bytes (1 MiB)`). */
export function formatBytes(bytes: number): string {
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = "";
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return unit ? `${bytes} bytes (${Number(value.toFixed(2))} ${unit})` : `${bytes} bytes`;
}

/** Multi-line, human explanation of a decision, as `repogate policy explain` prints it. */
export function formatDecision(decision: PolicyDecision): string {
  const verdict =
    decision.code === "REF_NEEDS_GITHUB" ? "UNDECIDED (needs GitHub)" : decision.allowed ? "ALLOW" : "DENY";
  const lines = [
    `decision:   ${verdict}`,
    `code:       ${decision.code}`,
    `repository: ${decision.repository}${decision.displayRepository !== decision.repository ? ` (as given: ${decision.displayRepository})` : ""}`,
    `operation:  ${decision.operation}`,
  ];
  if (decision.ref) {
    const r = decision.ref;
    const what = r.input === null ? "(none: default branch)" : r.input;
    const detail = [r.kind, r.branch ? `branch ${r.branch}` : null, r.sha ? `sha ${r.sha}` : null]
      .filter(Boolean)
      .join(", ");
    lines.push(`ref:        ${what} [${detail}]`);
  }
  lines.push(
    `rule:       ${decision.ruleIndex === null ? "none" : `repositories[${decision.ruleIndex}] "${decision.rulePattern}"`}${decision.ruleDescription ? ` — ${decision.ruleDescription}` : ""}`,
    `why:        ${decision.reason}`,
  );
  if (decision.ruleIndex !== null) {
    lines.push(
      `operations: ${decision.allowedOperations.length ? decision.allowedOperations.join(", ") : "none (explicit deny)"}`,
      `branches:   ${decision.allowedBranches ? decision.allowedBranches.join(", ") : "any"}`,
      `max file:   ${formatBytes(decision.maxFileSize)}`,
    );
  }
  for (const s of decision.skippedRules) {
    lines.push(
      `skipped:    repositories[${s.ruleIndex}] "${s.rulePattern}" (applies only to ${[s.groups ? `groups ${s.groups.join(", ")}` : null, s.subjects ? `subjects ${s.subjects.join(", ")}` : null].filter(Boolean).join(" or ")})`,
    );
  }
  if (decision.refCheckRequired) {
    lines.push(
      "note:       the ref (or default branch) must still be checked against GitHub before any read",
    );
  }
  return lines.join("\n");
}
