import { tryParseRepositoryName } from "../policy/index.ts";
import { InvalidToolArgumentError } from "./errors.ts";

/** A code search query split into its free part and the scope qualifiers repogate controls. */
export interface SearchScope {
  /** The query without `repo:`/`org:`/`user:` qualifiers (other qualifiers such as `path:` stay). */
  text: string;
  /** `owner/repo` from the caller's `repo:` qualifiers. */
  repositories: string[];
  /** Owners from the caller's `org:`/`user:` qualifiers. */
  owners: string[];
  /** Lower-cased `owner/repo` from `-repo:` qualifiers. */
  excluded: string[];
}

const TOKEN = /-?[A-Za-z]+:"[^"]*"|"[^"]*"|\S+/g;
const SCOPE = /^(-?)(repo|org|user):(.*)$/i;
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const EMBEDDED_SCOPE = /(?:^|[^A-Za-z])(?:repo|org|user):/i;
const BOOLEAN = new Set(["AND", "OR", "NOT"]);

/**
 * Takes the scope qualifiers out of a query: repogate adds its own `repo:` qualifiers, so the caller's
 * can only narrow the set of searched repositories, never widen it.
 * @throws InvalidToolArgumentError for a malformed qualifier or a query without search terms.
 */
export function parseSearchScope(query: string): SearchScope {
  const kept: string[] = [];
  const scope: SearchScope = { text: "", repositories: [], owners: [], excluded: [] };
  const tokens = query.match(TOKEN) ?? [];
  for (const token of tokens) {
    const qualifier = SCOPE.exec(token);
    if (!qualifier && !token.startsWith('"') && EMBEDDED_SCOPE.test(token)) {
      throw new InvalidToolArgumentError(
        `qualifier in ${JSON.stringify(token)} must stand alone, separated by spaces (no parentheses)`,
      );
    }
    if (!qualifier) {
      kept.push(token);
      continue;
    }
    const negated = qualifier[1] === "-";
    const kind = (qualifier[2] ?? "").toLowerCase();
    const value = (qualifier[3] ?? "").replace(/^"|"$/g, "");
    if (kind === "repo") {
      const parsed = tryParseRepositoryName(value);
      if (!parsed.ok) throw new InvalidToolArgumentError(`qualifier ${token}: ${parsed.error.message}`);
      if (negated) scope.excluded.push(parsed.name.canonical);
      else scope.repositories.push(parsed.name.fullName);
    } else {
      if (!OWNER.test(value))
        throw new InvalidToolArgumentError(`qualifier ${token}: "${value}" is not a valid owner`);
      // An excluded owner only narrows; it is applied by dropping that owner's repositories.
      if (negated) scope.excluded.push(`${value.toLowerCase()}/*`);
      else scope.owners.push(value);
    }
  }
  const scoped = scope.repositories.length + scope.owners.length + scope.excluded.length > 0;
  if (scoped && (kept.some((t) => BOOLEAN.has(t)) || /[()]/.test(kept.join(" ")))) {
    // With the scope qualifiers taken out, an operator could end up binding repogate's own qualifiers.
    throw new InvalidToolArgumentError(
      "AND/OR/NOT and parentheses cannot be combined with repo:, org: or user: qualifiers; search once per scope instead",
    );
  }
  // repogate appends its own repo: qualifiers after the caller's text: an open quote would turn them into
  // phrase text and a trailing operator would bind the first of them, dropping the scope from the query
  // GitHub runs (the narrowed token and the post-filter still hold, but the query must not depend on them).
  const joined = kept.join(" ");
  if ((joined.match(/"/g) ?? []).length % 2 !== 0) {
    throw new InvalidToolArgumentError('the query has an unbalanced " (close every quoted phrase)');
  }
  if ((joined.match(/\(/g) ?? []).length !== (joined.match(/\)/g) ?? []).length) {
    throw new InvalidToolArgumentError("the query has unbalanced parentheses");
  }
  const last = kept[kept.length - 1];
  if (last !== undefined && BOOLEAN.has(last)) {
    throw new InvalidToolArgumentError(`the query cannot end with the operator ${last}`);
  }
  scope.text = joined.trim();
  const terms = kept.filter((t) => !/^-?[A-Za-z]+:/.test(t) && !BOOLEAN.has(t));
  if (terms.length === 0) {
    throw new InvalidToolArgumentError(
      "the query needs at least one search term besides qualifiers (e.g. 'createRoot path:src')",
    );
  }
  return scope;
}

/** True when `-repo:`/`-org:` qualifiers exclude `fullName`. */
export function isExcluded(scope: SearchScope, fullName: string): boolean {
  const lower = fullName.toLowerCase();
  const owner = lower.slice(0, lower.indexOf("/"));
  return scope.excluded.includes(lower) || scope.excluded.includes(`${owner}/*`);
}
