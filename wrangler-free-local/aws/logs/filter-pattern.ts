/**
 * CloudWatch Logs filter patterns, the subset the emulator implements:
 * - terms: `ERROR` (every bare term must appear), `"exact phrase"`, `?ERROR ?WARN` (at least one), `-DEBUG` (none);
 *   matching is case-sensitive, as in CloudWatch Logs;
 * - JSON: `{ $.type = "access.deny" }`, `{ $.principal.email = "x" }`, `{ $.a[0].b != "y" }`, numbers with
 *   `= != < > <= >=`, `*` wildcards in string values, `IS TRUE|FALSE|NULL`, `NOT EXISTS`, `&&`, `||`, parentheses.
 * Space-delimited (`[ip, user, ...]`) and regex (`%...%`) patterns are refused as unsupported.
 */

/** Thrown for a pattern that does not parse (or that the emulator does not implement). */
export class InvalidFilterPatternError extends Error {
  readonly code = "INVALID_FILTER_PATTERN";
}

export type LogMatcher = (message: string) => boolean;

type Token =
  | { kind: "op"; value: string }
  | { kind: "string"; value: string }
  | { kind: "word"; value: string }
  | { kind: "selector"; value: (string | number)[] };

function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = "";
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === "\\" && i + 1 < text.length) i++;
    value += text[i];
    i++;
  }
  if (i >= text.length)
    throw new InvalidFilterPatternError("Invalid filter pattern: unterminated quoted string");
  return { value, end: i + 1 };
}

function parseSelector(raw: string): (string | number)[] {
  if (!raw.startsWith("$")) throw new InvalidFilterPatternError(`Invalid filter pattern: selector '${raw}'`);
  const path: (string | number)[] = [];
  const re = /\.([A-Za-z0-9_@$-]+)|\[(\d+)\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < raw.length) {
    const m = re.exec(raw);
    if (!m) throw new InvalidFilterPatternError(`Invalid filter pattern: selector '${raw}'`);
    path.push(m[1] !== undefined ? m[1] : Number(m[2]));
  }
  return path;
}

function tokenizeJson(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (["&&", "||", "!=", "<=", ">="].includes(two)) {
      tokens.push({ kind: "op", value: two });
      i += 2;
    } else if ("()=<>".includes(ch)) {
      tokens.push({ kind: "op", value: ch });
      i++;
    } else if (ch === '"') {
      const { value, end } = readQuoted(text, i);
      tokens.push({ kind: "string", value });
      i = end;
    } else {
      let end = i;
      while (end < text.length && !/[\s()=<>!&|"]/.test(text[end] as string)) end++;
      if (end === i)
        throw new InvalidFilterPatternError(`Invalid filter pattern near '${text.slice(i, i + 10)}'`);
      const word = text.slice(i, end);
      tokens.push(
        word.startsWith("$")
          ? { kind: "selector", value: parseSelector(word) }
          : { kind: "word", value: word },
      );
      i = end;
    }
  }
  return tokens;
}

type JsonPredicate = (document: unknown) => boolean;

const MISSING = Symbol("missing");

function select(document: unknown, path: (string | number)[]): unknown {
  let current: unknown = document;
  for (const step of path) {
    if (current === null || typeof current !== "object") return MISSING;
    const next = (current as Record<string | number, unknown>)[step];
    if (next === undefined) return MISSING;
    current = next;
  }
  return current;
}

function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(value);
}

function comparison(path: (string | number)[], op: string, literal: Token): JsonPredicate {
  const numeric = literal.kind === "word" && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(literal.value);
  const text = literal.value as string;
  if (["<", ">", "<=", ">="].includes(op) && !numeric) {
    throw new InvalidFilterPatternError(`Invalid filter pattern: ${op} needs a number`);
  }
  const n = Number(text);
  return (document) => {
    const value = select(document, path);
    if (value === MISSING) return false;
    if (numeric) {
      if (typeof value !== "number") return false;
      switch (op) {
        case "=":
          return value === n;
        case "!=":
          return value !== n;
        case "<":
          return value < n;
        case ">":
          return value > n;
        case "<=":
          return value <= n;
        default:
          return value >= n;
      }
    }
    const asText = typeof value === "string" || typeof value === "boolean" ? String(value) : undefined;
    if (asText === undefined) return op === "!=";
    return op === "=" ? wildcardMatch(text, asText) : !wildcardMatch(text, asText);
  };
}

/** Recursive-descent parser over the JSON pattern's tokens. */
class JsonPatternParser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): JsonPredicate {
    const predicate = this.or();
    if (this.position < this.tokens.length)
      throw new InvalidFilterPatternError("Invalid filter pattern: trailing input");
    return predicate;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new InvalidFilterPatternError("Invalid filter pattern: unexpected end");
    return token;
  }

  private isOp(value: string): boolean {
    const token = this.peek();
    return token?.kind === "op" && token.value === value;
  }

  private or(): JsonPredicate {
    const parts = [this.and()];
    while (this.isOp("||")) {
      this.position++;
      parts.push(this.and());
    }
    return parts.length === 1 ? (parts[0] as JsonPredicate) : (d) => parts.some((p) => p(d));
  }

  private and(): JsonPredicate {
    const parts = [this.primary()];
    while (this.isOp("&&")) {
      this.position++;
      parts.push(this.primary());
    }
    return parts.length === 1 ? (parts[0] as JsonPredicate) : (d) => parts.every((p) => p(d));
  }

  private primary(): JsonPredicate {
    if (this.isOp("(")) {
      this.position++;
      const inner = this.or();
      if (!this.isOp(")")) throw new InvalidFilterPatternError("Invalid filter pattern: missing ')'");
      this.position++;
      return inner;
    }
    const selector = this.next();
    if (selector.kind !== "selector")
      throw new InvalidFilterPatternError("Invalid filter pattern: expected $.selector");
    const path = selector.value;
    const op = this.next();
    if (op.kind === "word" && op.value === "IS") {
      const what = this.next();
      const expected = { TRUE: true, FALSE: false, NULL: null } as Record<string, boolean | null>;
      if (what.kind !== "word" || !(what.value in expected)) {
        throw new InvalidFilterPatternError("Invalid filter pattern: IS needs TRUE, FALSE or NULL");
      }
      return (d) => select(d, path) === expected[what.value];
    }
    if (op.kind === "word" && op.value === "NOT") {
      const what = this.next();
      if (what.kind !== "word" || what.value !== "EXISTS") {
        throw new InvalidFilterPatternError("Invalid filter pattern: NOT needs EXISTS");
      }
      return (d) => select(d, path) === MISSING;
    }
    if (op.kind !== "op" || !["=", "!=", "<", ">", "<=", ">="].includes(op.value)) {
      throw new InvalidFilterPatternError("Invalid filter pattern: expected a comparison operator");
    }
    const literal = this.next();
    if (literal.kind !== "string" && literal.kind !== "word") {
      throw new InvalidFilterPatternError("Invalid filter pattern: expected a value");
    }
    return comparison(path, op.value, literal);
  }
}

function compileTerms(pattern: string): LogMatcher {
  const required: string[] = [];
  const optional: string[] = [];
  const excluded: string[] = [];
  let i = 0;
  while (i < pattern.length) {
    if (/\s/.test(pattern[i] as string)) {
      i++;
      continue;
    }
    let bucket = required;
    if (pattern[i] === "?" || pattern[i] === "-") {
      bucket = pattern[i] === "?" ? optional : excluded;
      i++;
    }
    if (pattern[i] === '"') {
      const { value, end } = readQuoted(pattern, i);
      bucket.push(value);
      i = end;
    } else {
      let end = i;
      while (end < pattern.length && !/\s/.test(pattern[end] as string)) end++;
      if (end > i) bucket.push(pattern.slice(i, end));
      i = end;
    }
  }
  return (message) =>
    required.every((t) => message.includes(t)) &&
    (optional.length === 0 || optional.some((t) => message.includes(t))) &&
    !excluded.some((t) => message.includes(t));
}

/** Compiles a filter pattern into a predicate over log messages; an empty pattern matches everything. */
export function compileFilterPattern(pattern: string | undefined): LogMatcher {
  const trimmed = (pattern ?? "").trim();
  if (trimmed === "") return () => true;
  if (trimmed.startsWith("{")) {
    if (!trimmed.endsWith("}")) throw new InvalidFilterPatternError("Invalid filter pattern: missing '}'");
    const predicate = new JsonPatternParser(tokenizeJson(trimmed.slice(1, -1))).parse();
    return (message) => {
      let document: unknown;
      try {
        document = JSON.parse(message);
      } catch {
        // Messages that are not JSON never match a JSON pattern.
        return false;
      }
      return predicate(document);
    };
  }
  if (trimmed.startsWith("[") || trimmed.startsWith("%")) {
    throw new InvalidFilterPatternError(
      "Space-delimited and regular-expression filter patterns are not supported by the local AWS emulator.",
    );
  }
  return compileTerms(trimmed);
}
