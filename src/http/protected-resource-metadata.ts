import type { Hono } from "hono";
import { metadataCors } from "./cors.ts";
import type { HttpEnv } from "./types.ts";

/** The RFC 9728 Protected Resource Metadata repogate publishes for its `/mcp` endpoint. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ["header"];
  resource_name: string;
  resource_documentation?: string;
}

/** Inputs of the metadata document. */
export interface ProtectedResourceMetadataOptions {
  /** The public `/mcp` URL, exactly as clients use it. */
  resource: string;
  /** The IdP issuer, exactly as its discovery document spells it. */
  issuer: string;
  /** Minimal scopes for normal use, spelled as the IdP issues them. */
  scopesSupported: string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

/** The metadata path for a resource URL: `https://h/mcp` → `/.well-known/oauth-protected-resource/mcp`. */
export function protectedResourceMetadataPath(resource: string): string {
  const path = new URL(resource).pathname.replace(/\/$/, "");
  return `/.well-known/oauth-protected-resource${path}`;
}

/** Builds the document; `bearer_methods_supported` is header-only (tokens never go in a query or body). */
export function protectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): ProtectedResourceMetadata {
  return {
    resource: options.resource,
    authorization_servers: [options.issuer],
    scopes_supported: [...options.scopesSupported],
    bearer_methods_supported: ["header"],
    resource_name: options.resourceName ?? "repogate",
    ...(options.resourceDocumentation ? { resource_documentation: options.resourceDocumentation } : {}),
  };
}

/** Serves the document, public and cacheable, at the path-aware URL and at the root well-known URL. */
export function mountProtectedResourceMetadata(
  app: Hono<HttpEnv>,
  options: ProtectedResourceMetadataOptions,
): void {
  const body = JSON.stringify(protectedResourceMetadata(options));
  const paths = [
    ...new Set([protectedResourceMetadataPath(options.resource), "/.well-known/oauth-protected-resource"]),
  ];
  for (const path of paths) {
    app.use(path, metadataCors());
    app.get(path, (c) =>
      c.body(body, 200, { "Content-Type": "application/json", "Cache-Control": "public, max-age=3600" }),
    );
    app.all(path, (c) => c.json({ error: "method_not_allowed" }, 405, { Allow: "GET, HEAD, OPTIONS" }));
  }
}
