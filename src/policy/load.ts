import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { PolicyError, type PolicyIssue } from "./errors.ts";
import { compilePattern, type RepositoryPattern } from "./matcher.ts";
import { DEFAULT_MAX_FILE_SIZE, type Operation, policyFileSchema } from "./schema.ts";

/** A validated, compiled rule; `index` is its position in `repositories:` (0-based, as in error paths). */
export interface PolicyRule {
  index: number;
  pattern: RepositoryPattern;
  operations: readonly Operation[];
  /** Listed branch names (case-sensitive), or null when any ref is allowed. */
  branches: readonly string[] | null;
  /** The effective cap in bytes (rule, else defaults, else 1 MiB). */
  maxFileSize: number;
  groups: readonly string[] | null;
  subjects: readonly string[] | null;
  description: string | null;
  /** Line of the rule in the policy file, for explanations. */
  line: number | null;
}

/** A loaded policy: what the engine evaluates, plus where it came from. */
export interface Policy {
  version: 1;
  defaults: { maxFileSize: number };
  rules: readonly PolicyRule[];
  /** File name (or label) used in error messages. */
  source: string;
  /** SHA-256 of the file's bytes (hex), so audit `policy.load` events and reloads can tell versions apart. */
  digest: string;
}

/** Options for `parsePolicy`. */
export interface ParsePolicyOptions {
  /** Name shown in errors (`policy.yaml:7: ...`); defaults to `policy`. */
  source?: string;
}

/**
 * Parses and validates policy YAML; every problem is reported with its line and field path.
 * @throws PolicyError with code POLICY_INVALID.
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): Policy {
  const source = options.source ?? "policy";
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new PolicyError(
      "POLICY_INVALID",
      source,
      doc.errors.map((e) => ({ line: lineAt(e.pos[0]), path: "", message: `YAML: ${firstLine(e.message)}` })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    // toJS only throws on alias abuse (billion-laughs style expansion); report it as a policy problem.
    throw new PolicyError("POLICY_INVALID", source, [
      { line: null, path: "", message: `YAML: ${(error as Error).message}` },
    ]);
  }
  if (data === null || data === undefined) {
    throw new PolicyError("POLICY_INVALID", source, [
      { line: 1, path: "", message: "the file is empty; expected version: 1 and repositories:" },
    ]);
  }
  const result = policyFileSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const issues = result.error.issues.map((issue) => toPolicyIssue(issue, doc.contents, lineAt));
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new PolicyError("POLICY_INVALID", source, issues);
  }
  const file = result.data;
  const defaultMax = file.defaults?.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const rules = file.repositories.map((rule, index): PolicyRule => {
    const node = nodeAt(doc.contents, ["repositories", index]);
    return {
      index,
      pattern: compilePattern(rule.pattern),
      operations: Object.freeze([...rule.operations]),
      branches: rule.branches ? Object.freeze([...rule.branches]) : null,
      maxFileSize: rule.maxFileSize ?? defaultMax,
      groups: rule.groups ? Object.freeze([...rule.groups]) : null,
      subjects: rule.subjects ? Object.freeze([...rule.subjects]) : null,
      description: rule.description ?? null,
      line: node?.range ? lineAt(node.range[0]) : null,
    };
  });
  return {
    version: 1,
    defaults: { maxFileSize: defaultMax },
    rules: Object.freeze(rules),
    source,
    digest: createHash("sha256").update(text).digest("hex"),
  };
}

/** Reads and parses a policy file; errors name the file by its base name. @throws PolicyError */
export async function loadPolicyFile(path: string, options: ParsePolicyOptions = {}): Promise<Policy> {
  const source = options.source ?? basename(path);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new PolicyError("POLICY_UNREADABLE", source, [
      { line: null, path: "", message: `cannot read the policy file (${code}: ${(error as Error).message})` },
    ]);
  }
  return parsePolicy(text, { source });
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

type Key = PropertyKey;

/** Walks the YAML tree along a zod path, returning the deepest node that exists. */
function nodeAt(root: unknown, path: readonly Key[]): Node | null {
  let node = root as Node | null;
  for (const key of path) {
    const next = childOf(node, key);
    if (!next) return node;
    node = next;
  }
  return node;
}

function childOf(node: unknown, key: Key): Node | null {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    return (pair?.value as Node | null | undefined) ?? (pair?.key as Node | undefined) ?? null;
  }
  const items = (node as { items?: unknown[] } | null)?.items;
  if (Array.isArray(items) && typeof key === "number") {
    const item = items[key];
    return isPair(item) ? ((item.value as Node | null) ?? null) : ((item as Node | undefined) ?? null);
  }
  return null;
}

/** The key node of `key` inside the map at `path`, so unknown keys point at their own line. */
function keyNodeAt(root: unknown, path: readonly Key[], key: string): Node | null {
  const map = nodeAt(root, path);
  if (!isMap(map)) return map;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return (pair?.key as Node | undefined) ?? map;
}

function formatPath(path: readonly Key[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

function toPolicyIssue(
  issue: z.core.$ZodIssue,
  root: unknown,
  lineAt: (offset: number) => number,
): PolicyIssue {
  const input = (issue as { input?: unknown }).input;
  let path = issue.path;
  let node: Node | null;
  let message: string;
  switch (issue.code) {
    case "unrecognized_keys": {
      const key = issue.keys[0] ?? "";
      node = keyNodeAt(root, path, key);
      path = [...path, key];
      message =
        issue.keys.length > 1
          ? `unknown fields ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`
          : `unknown field ${JSON.stringify(key)}`;
      message += expectedKeysHint(issue.path);
      break;
    }
    case "invalid_value":
      node = nodeAt(root, path);
      message = `must be ${issue.values.length > 1 ? "one of " : ""}${issue.values.map(String).join(", ")} (got ${describe(input)})`;
      break;
    case "invalid_type":
      node = nodeAt(root, path);
      message =
        input === undefined
          ? "is required"
          : `must be ${issue.expected === "array" ? "a list" : issue.expected === "object" ? "a mapping" : `a ${issue.expected}`} (got ${describe(input)})`;
      if (input === undefined && path.length > 0) {
        // A missing field has no node: point at the mapping that should hold it.
        node = nodeAt(root, path.slice(0, -1));
      }
      break;
    case "too_small":
      node = nodeAt(root, path);
      message = issue.origin === "string" ? "must not be empty" : issue.message;
      break;
    default:
      node = nodeAt(root, path);
      message = issue.message;
  }
  return { line: node?.range ? lineAt(node.range[0]) : null, path: formatPath(path), message };
}

function expectedKeysHint(path: readonly Key[]): string {
  if (path.length === 0) return " (expected version, defaults, repositories)";
  if (path.length === 1 && path[0] === "defaults") return " (expected maxFileSize)";
  if (path.length === 2 && path[0] === "repositories") {
    return " (expected pattern, operations, branches, maxFileSize, groups, subjects, description)";
  }
  return "";
}
