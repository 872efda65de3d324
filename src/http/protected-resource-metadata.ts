import type { Context, Hono } from "hono";
import { metadataCors } from "./cors.ts";
import type { HttpEnv } from "./types.ts";

/** The RFC 9728 Protected Resource Metadata repogate publishes for its `/mcp` endpoint. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ["header"];
  resource_name: string;
}

/** Inputs of the metadata document. */
export interface ProtectedResourceMetadataOptions {
  /** The public `/mcp` URL, exactly as clients use it. */
  resource: string;
  /** The IdP issuer, exactly as its discovery document spells it. */
  issuer: string;
  /** Minimal scopes for normal use, spelled as the IdP issues them. */
  scopesSupported: string[];
  /** Default `repogate`. */
  resourceName?: string;
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
  };
}

/** Serves the document, public and cacheable, at the path-aware URL and at the root well-known URL. */
export function mountProtectedResourceMetadata(
  app: Hono<HttpEnv>,
  options: Omit<ProtectedResourceMetadataOptions, "resource"> & {
    /** The path-aware metadata path (`/.well-known/oauth-protected-resource/mcp`). */
    path: string;
    /** The `/mcp` URL as this request reached the server (loopback names differ only in their host). */
    resource: (c: Context<HttpEnv>) => string;
  },
): void {
  // One serialized document per resource URL (a handful at most: the public URL or the loopback names).
  const bodies = new Map<string, string>();
  const bodyFor = (resource: string) => {
    let body = bodies.get(resource);
    if (body === undefined) {
      body = JSON.stringify(protectedResourceMetadata({ ...options, resource }));
      bodies.set(resource, body);
    }
    return body;
  };
  for (const path of [...new Set([options.path, "/.well-known/oauth-protected-resource"])]) {
    app.use(path, metadataCors());
    app.get(path, (c) =>
      c.body(bodyFor(options.resource(c)), 200, {
        "Content-Type": "application/json",
        "Cache-Control": "public, max-age=3600",
      }),
    );
    app.all(path, (c) => c.json({ error: "method_not_allowed" }, 405, { Allow: "GET, HEAD, OPTIONS" }));
  }
}
