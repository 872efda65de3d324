/**
 * The redaction guard: secrets must never reach an audit sink, whatever a caller put in a reason or a path.
 * Matching is by prefix and shape, never by length: GitHub's stateless installation tokens are
 * `ghs_<appId>_<JWT>`, so a 40-character rule would miss them.
 */
const SECRET_PATTERNS: readonly { kind: string; pattern: RegExp; mark: string }[] = [
  {
    kind: "pem",
    pattern: /-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g,
    mark: "-----BEGIN ",
  },
  { kind: "github-token", pattern: /(?:gh[soupr]_|github_pat_)[A-Za-z0-9_.-]+/g, mark: "_" },
  // Whole runs of base64url and dots, checked by containsJwt: a one-step pattern such as
  // /eyJ[…]*\.eyJ[…]*\.[…]*/ backtracks quadratically on input like "eyJ-eyJ-eyJ-…".
  { kind: "jwt", pattern: /[A-Za-z0-9_.-]+/g, mark: "eyJ" },
  { kind: "api-key", pattern: /rg_[a-z0-9]{6,32}_[A-Za-z0-9_-]+/g, mark: "rg_" },
];
// `mark` is text every match contains: a string without it cannot match, and most audit strings (ids, names,
// codes) are skipped without running the pattern (the jwt pattern would otherwise call back for every word).

/**
 * True when a run holds a compact JWS: a segment containing `eyJ` (a JSON header), followed by a segment
 * starting with `eyJ` (a JSON payload) and a third segment. Linear in the run's length; the whole run is then
 * redacted, which may take a little more than the token and never less.
 */
function containsJwt(run: string): boolean {
  if (!run.includes("eyJ")) return false;
  const segments = run.split(".");
  for (let i = 0; i + 2 < segments.length; i++) {
    if ((segments[i] as string).includes("eyJ") && (segments[i + 1] as string).startsWith("eyJ")) return true;
  }
  return false;
}

function isSecret(kind: string, match: string): boolean {
  return kind !== "jwt" || containsJwt(match);
}

/** What the guard did to one value. */
export interface RedactionResult<T> {
  value: T;
  /** How many secret-looking substrings were replaced. */
  replaced: number;
}

/** Replaces every secret-looking substring of one string with `[REDACTED:<kind>]`. */
export function redactString(input: string): RedactionResult<string> {
  let replaced = 0;
  let value = input;
  for (const { kind, pattern, mark } of SECRET_PATTERNS) {
    if (!value.includes(mark)) continue;
    value = value.replace(pattern, (match) => {
      if (!isSecret(kind, match)) return match;
      replaced += 1;
      return `[REDACTED:${kind}]`;
    });
  }
  return { value, replaced };
}

/** True when the text contains anything the guard would redact (used to assert files stay clean). */
export function containsSecret(text: string): boolean {
  return SECRET_PATTERNS.some(({ kind, pattern }) =>
    Array.from(text.matchAll(new RegExp(pattern.source, "g")), (m) => m[0]).some((m) => isSecret(kind, m)),
  );
}

/** Walks a JSON value and redacts every string (keys included), returning a copy and the count. */
export function redactDeep<T>(input: T): RedactionResult<T> {
  let replaced = 0;
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      const r = redactString(node);
      replaced += r.replaced;
      return r.value;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        const k = redactString(key);
        replaced += k.replaced;
        out[k.value] = walk(child);
      }
      return out;
    }
    return node;
  };
  return { value: walk(input) as T, replaced };
}
