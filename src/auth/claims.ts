import type { JWTPayload } from "jose";

/** Where the verifier finds the user's email and groups in a token (IdPs disagree). Dotted paths allowed. */
export interface ClaimNames {
  /** Default `email`. */
  email?: string;
  /** Default `groups`. Entra often uses `roles`, Keycloak `realm_access.roles`. */
  groups?: string;
}

/** Reads a claim by name, or by dotted path (`realm_access.roles`) when no top-level claim has that name. */
export function readClaim(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let current: unknown = payload;
  for (const segment of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Groups as a list of strings: an array claim keeps its string members, a string claim is one group. */
export function readGroups(payload: JWTPayload, path: string): string[] {
  const value = readClaim(payload, path);
  if (typeof value === "string") return value.length > 0 ? [value] : [];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === "string" && g.length > 0);
  return [];
}

/** Scopes from `scope` (space-separated, RFC 8693/9068) or `scp` (Entra/Okta: string or array). */
export function readScopes(payload: JWTPayload): string[] {
  const scopes = new Set<string>();
  for (const name of ["scope", "scp"]) {
    const value = payload[name];
    const list = typeof value === "string" ? value.split(/\s+/) : Array.isArray(value) ? value : [];
    for (const scope of list) if (typeof scope === "string" && scope.length > 0) scopes.add(scope);
  }
  return [...scopes];
}

/** The OAuth client that obtained the token, under any of the claim names IdPs use for it. */
export function readClientId(payload: JWTPayload): string | undefined {
  for (const name of ["client_id", "azp", "cid", "appid"]) {
    const value = payload[name];
    if (typeof value === "string" && value.length > 0) return value;
  }
  return undefined;
}
