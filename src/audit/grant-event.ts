import type { AuditEventInput } from "./event.ts";

/** The grant as the token broker reports it (never the token). Unknown extra fields are ignored. */
export interface GrantRecord {
  fingerprint: string;
  installationId: number;
  repositories: string[];
  permissions: Record<string, string>;
  expiresAt: string;
  reused?: boolean;
  /** `repository-access` (default) or `installation-listing`. */
  purpose?: string;
  /** `all` for an installation-wide (listing) token; absent means exactly `repositories`. */
  repositorySelection?: string;
}

/** The `token.grant` event for a grant: token fields picked one by one, the single repository as the resource. */
export function grantEventInput(grant: GrantRecord, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  // Picked one by one: a new field on the broker's grant must not make the strict schema refuse the event.
  const token = {
    fingerprint: grant.fingerprint,
    installationId: grant.installationId,
    repositories: [...grant.repositories],
    permissions: { ...grant.permissions },
    expiresAt: grant.expiresAt,
  };
  // Lower-cased like policy decisions, so `--repo` and CloudWatch filter patterns match grants and denials alike.
  const single = grant.repositories.length === 1 ? grant.repositories[0]?.toLowerCase() : undefined;
  const details = {
    ...extra.details,
    ...(grant.reused !== undefined ? { reused: grant.reused } : {}),
    ...(grant.purpose !== undefined ? { purpose: grant.purpose } : {}),
    ...(grant.repositorySelection !== undefined ? { repositorySelection: grant.repositorySelection } : {}),
  };
  return {
    ...extra,
    type: "token.grant",
    token,
    ...(single || extra.resource
      ? { resource: { ...(single ? { repo: single } : {}), ...extra.resource } }
      : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}
