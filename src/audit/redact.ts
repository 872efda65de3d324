/**
 * The redaction guard: secrets must never reach an audit sink, whatever a caller put in a reason or a path.
 * Matching is by prefix and shape, never by length: GitHub's stateless installation tokens are
 * `ghs_<appId>_<JWT>`, so a 40-character rule would miss them.
 */
const SECRET_PATTERNS: readonly { kind: string; pattern: RegExp }[] = [
  { kind: "pem", pattern: /-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g },
  { kind: "github-token", pattern: /(?:gh[soupr]_|github_pat_)[A-Za-z0-9_.-]+/g },
  { kind: "jwt", pattern: /eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g },
  { kind: "api-key", pattern: /rg_[a-z0-9]{6,32}_[A-Za-z0-9_-]+/g },
];

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
  for (const { kind, pattern } of SECRET_PATTERNS) {
    value = value.replace(pattern, () => {
      replaced += 1;
      return `[REDACTED:${kind}]`;
    });
  }
  return { value, replaced };
}

/** True when the text contains anything the guard would redact (used to assert files stay clean). */
export function containsSecret(text: string): boolean {
  return SECRET_PATTERNS.some(({ pattern }) => new RegExp(pattern.source).test(text));
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
