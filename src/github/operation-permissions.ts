import { PermissionCeilingError } from "./errors.ts";

/** What a tool call does with a repository (the policy's operations). */
export type RepositoryOperation = "read" | "analyze" | "diff";

/** The only permissions repogate ever asks GitHub for. */
export type ReadPermissions = Readonly<{ contents?: "read"; metadata?: "read" }>;

/** The hard ceiling: no mapping, configuration or caller can ask for more than this. */
export const PERMISSION_CEILING: Readonly<Record<string, "read">> = Object.freeze({
  contents: "read",
  metadata: "read",
});

const LEVELS: Record<string, number> = { read: 1, write: 2, admin: 3 };

// All three operations read contents today; the table exists so a future operation states its needs.
const OPERATION_PERMISSIONS: Record<RepositoryOperation, ReadPermissions> = {
  read: { contents: "read", metadata: "read" },
  analyze: { contents: "read", metadata: "read" },
  diff: { contents: "read", metadata: "read" },
};

/** Throws unless every permission in `permissions` is at or below the ceiling. */
export function assertWithinCeiling(permissions: Readonly<Record<string, string>>): void {
  const entries = Object.entries(permissions);
  if (entries.length === 0)
    throw new PermissionCeilingError("An installation token must name its permissions.");
  for (const [name, level] of entries) {
    const ceiling = PERMISSION_CEILING[name];
    if (ceiling === undefined || (LEVELS[level] ?? Number.POSITIVE_INFINITY) > (LEVELS[ceiling] ?? 0)) {
      throw new PermissionCeilingError(
        `Permission ${name}:${level} is above repogate's ceiling (contents:read, metadata:read).`,
      );
    }
  }
}

/** True when `granted` asks for nothing `requested` did not (GitHub may grant less, never more). */
export function isWithinRequested(
  granted: Readonly<Record<string, string>>,
  requested: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(granted).every(([name, level]) => {
    const asked = requested[name];
    return asked !== undefined && (LEVELS[level] ?? Number.POSITIVE_INFINITY) <= (LEVELS[asked] ?? 0);
  });
}

/** The permissions a token for `operation` gets, checked against the ceiling on every call. */
export function permissionsForOperation(operation: RepositoryOperation): ReadPermissions {
  const permissions = Object.hasOwn(OPERATION_PERMISSIONS, operation)
    ? OPERATION_PERMISSIONS[operation]
    : undefined;
  if (!permissions) throw new PermissionCeilingError(`Unknown repository operation "${String(operation)}".`);
  assertWithinCeiling(permissions);
  return permissions;
}
