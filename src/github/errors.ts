/**
 * Errors raised by the GitHub side of the broker. Each has a stable `code` that the HTTP and MCP
 * layers map to responses; none of them ever carries a token, a JWT or key material.
 */

/** Base class: a stable machine-readable `code` plus an actionable message. */
export class GitHubBrokerError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** What crosses a process or log boundary: never the cause chain (it may hold request objects). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** An owner/repository name that is not a valid GitHub name, or a scope that cannot be narrowed. */
export class InvalidRepositoryScopeError extends GitHubBrokerError {
  constructor(message: string) {
    super("INVALID_REPOSITORY_SCOPE", message);
  }
}

/** A permission mapping that would ask GitHub for more than contents:read + metadata:read. */
export class PermissionCeilingError extends GitHubBrokerError {
  constructor(message: string) {
    super("PERMISSION_ABOVE_CEILING", message);
  }
}

/** The GitHub App is not installed on the owner the request names. */
export class GitHubAppNotInstalledError extends GitHubBrokerError {
  readonly owner: string;

  constructor(owner: string) {
    super(
      "APP_NOT_INSTALLED",
      `The GitHub App is not installed on "${owner}". An admin of ${owner} must install the App ` +
        `on that organization or account (and grant it the repositories to be read) before repogate can access them.`,
    );
    this.owner = owner;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), owner: this.owner };
  }
}

/** An admin suspended the App's installation on the owner: no token is minted until it is unsuspended. */
export class InstallationSuspendedError extends GitHubBrokerError {
  readonly owner: string;

  constructor(owner: string, suspendedAt: string) {
    super(
      "APP_INSTALLATION_SUSPENDED",
      `The GitHub App's installation on "${owner}" has been suspended (since ${suspendedAt}), so repogate cannot ` +
        `read its repositories. An admin of ${owner} must unsuspend it in the organization's settings (GitHub Apps).`,
    );
    this.owner = owner;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), owner: this.owner };
  }
}

/** GitHub returned a token whose repositories or permissions differ from what was asked for. */
export class TokenScopeMismatchError extends GitHubBrokerError {
  constructor(detail: string) {
    super(
      "TOKEN_SCOPE_MISMATCH",
      `GitHub returned an installation token whose scope differs from the request (${detail}); the token was revoked and not used.`,
    );
  }
}

/** The broker is shutting down: no token is minted any more, and one GitHub returned meanwhile was revoked unused. */
export class BrokerShuttingDownError extends GitHubBrokerError {
  constructor() {
    super(
      "BROKER_SHUTTING_DOWN",
      "repogate is shutting down and mints no more tokens; the request was not served. Retry it in a moment.",
    );
  }
}

/** A GitHub API call failed: carries the HTTP status and GitHub's own message, never request headers. */
export class GitHubUpstreamError extends GitHubBrokerError {
  readonly status: number;
  readonly githubMessage: string;
  readonly route: string | undefined;
  readonly documentationUrl: string | undefined;

  constructor(options: {
    status: number;
    githubMessage: string;
    route?: string | undefined;
    documentationUrl?: string | undefined;
  }) {
    const where = options.route ? ` on ${options.route}` : "";
    super(
      options.status === 0 ? "GITHUB_UNREACHABLE" : "GITHUB_UPSTREAM_ERROR",
      options.status === 0
        ? `GitHub could not be reached${where}: ${options.githubMessage}`
        : `GitHub answered ${options.status}${where}: ${options.githubMessage}`,
    );
    this.status = options.status;
    this.githubMessage = options.githubMessage;
    this.route = options.route;
    this.documentationUrl = options.documentationUrl;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      githubMessage: this.githubMessage,
      route: this.route,
      documentationUrl: this.documentationUrl,
    };
  }
}

/** Signing the App JWT failed (key unreadable, KMS refused, ...). */
export class AppJwtSigningError extends GitHubBrokerError {}

/** A GitHub response body went past `maxResponseBytes`; it was not read further (nor asked for again). */
export class ResponseTooLargeError extends GitHubBrokerError {
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(
      "GITHUB_RESPONSE_TOO_LARGE",
      `GitHub's response was larger than ${maxBytes} bytes and was not read further.`,
    );
    this.maxBytes = maxBytes;
  }
}
