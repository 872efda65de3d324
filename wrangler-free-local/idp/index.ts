import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Provider } from "oidc-provider";
import type { RunningService } from "../service.ts";
import { createInteractionHandler, INTERACTION_PREFIX } from "./interactions.ts";
import { idpStateDir, loadOrCreateKeys } from "./keys.ts";
import { loadOidcProvider } from "./load-oidc-provider.ts";
import { buildProviderConfiguration } from "./provider-config.ts";
import { DevIdpStore } from "./store.ts";
import { type DevUser, loadDevUsers } from "./users.ts";

export { BROKER_SCOPE, REPOGATE_CLI_CLIENT_ID, SUPPORTED_SCOPES } from "./provider-config.ts";
export { DEFAULT_USERS_FILE, type DevUser, loadDevUsers, parseDevUsers } from "./users.ts";

/** Default port of the dev IdP in the local stack. */
export const DEV_IDP_DEFAULT_PORT = 8702;

/** Where the broker listens by default; its MCP endpoint is the resource tokens are issued for. */
export const DEFAULT_BROKER_RESOURCE_URL = "http://127.0.0.1:8700/mcp";

export interface CreateDevIdpOptions {
  /** Issuer identifier, exactly as tokens and discovery will carry it (no trailing slash). */
  issuer: string;
  /** Data directory; keys and durable state go to `<dataDir>/idp/`. */
  dataDir: string;
  users: DevUser[];
  /** Broker resource URLs (RFC 8707); the first is used when a client names none. */
  resources: string[];
  accessTokenTtlSeconds?: number;
}

/** A configured dev IdP not yet bound to a port: mount `handle` on any node:http server. */
export interface DevIdp {
  issuer: string;
  provider: Provider;
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Waits for pending writes of durable state. */
  close(): Promise<void>;
}

/** Paths that browser-based MCP clients call cross-origin; oidc-provider has no CORS on registration. */
const CORS_PATHS = new Set(["/reg"]);

/** Builds the dev OpenID provider (oidc-provider) for an issuer, users and broker resources. */
export async function createDevIdp(options: CreateDevIdpOptions): Promise<DevIdp> {
  const oidc = await loadOidcProvider();
  const keys = await loadOrCreateKeys(options.dataDir);
  const store = await DevIdpStore.open(idpStateDir(options.dataDir));
  const provider = new oidc.Provider(
    options.issuer,
    buildProviderConfiguration(oidc, {
      issuer: options.issuer,
      users: options.users,
      resources: options.resources,
      keys,
      adapter: store.adapterFactory(),
      ...(options.accessTokenTtlSeconds ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
    }),
  );
  provider.on("server_error", (_ctx: unknown, err: unknown) => {
    console.error(`dev IdP: internal error: ${(err as Error)?.message ?? err}`);
  });
  const oidcCallback = provider.callback();
  const interactions = createInteractionHandler(provider, options.users);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const pathname = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (pathname.startsWith(INTERACTION_PREFIX)) {
      interactions(req, res, pathname).catch((err: unknown) => {
        console.error(`dev IdP: interaction failed: ${(err as Error)?.message ?? err}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("dev IdP interaction failed");
      });
      return;
    }
    if (CORS_PATHS.has(pathname)) {
      res.setHeader("access-control-allow-origin", "*");
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          "access-control-allow-methods": "POST, OPTIONS",
          "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "content-type",
          "access-control-max-age": "600",
        });
        res.end();
        return;
      }
    }
    oidcCallback(req, res);
  };

  return { issuer: options.issuer, provider, handle, close: () => store.flush() };
}

export interface StartDevIdpOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Defaults to 8702; 0 picks a free port (tests). */
  port?: number;
  dataDir: string;
  /** The broker's resource URL(s), e.g. http://127.0.0.1:8700/mcp. */
  resourceUrls: string[];
  /** YAML users file; defaults to wrangler-free-local/seed/users.yaml. Ignored when `users` is given. */
  usersFile?: string;
  users?: DevUser[];
  /** Defaults to http://<host>:<port> once listening. */
  issuer?: string;
  accessTokenTtlSeconds?: number;
}

/** The running dev IdP; `url` is the issuer. */
export interface RunningDevIdp extends RunningService {
  issuer: string;
}

/** Starts the dev IdP on host:port and resolves once it serves requests. */
export async function startDevIdp(options: StartDevIdpOptions): Promise<RunningDevIdp> {
  const host = options.host ?? "127.0.0.1";
  const users = options.users ?? (await loadDevUsers(options.usersFile));
  let idp: DevIdp | undefined;
  const server = createServer((req, res) => {
    if (idp) return idp.handle(req, res);
    res.writeHead(503, { "retry-after": "1" }).end();
  });
  // The issuer must name the real port, so listen first and build the provider afterwards.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEV_IDP_DEFAULT_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = options.issuer ?? `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const close = () =>
    new Promise<void>((done, fail) => {
      server.closeAllConnections();
      server.close((err) => (err ? fail(err) : done()));
    });
  try {
    idp = await createDevIdp({
      issuer,
      dataDir: options.dataDir,
      users,
      resources: options.resourceUrls,
      ...(options.accessTokenTtlSeconds ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
    });
  } catch (err) {
    await close();
    throw err;
  }
  const running = idp;
  return {
    name: "idp",
    url: issuer,
    issuer,
    port,
    close: async () => {
      await close();
      await running.close();
    },
  };
}
