type OidcProviderModule = typeof import("oidc-provider");

let loaded: Promise<OidcProviderModule> | undefined;

const RUNTIME_NOTICE = "oidc-provider WARNING: Unsupported runtime";

/**
 * Imports oidc-provider once. On import it warns on any Node release older than 22 LTS; repogate
 * supports Node >= 20.19 and the IdP is tested there, so exactly that one line is dropped. Every other
 * warning oidc-provider prints still reaches the console.
 */
export function loadOidcProvider(): Promise<OidcProviderModule> {
  loaded ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].includes(RUNTIME_NOTICE)) return;
      warn.apply(console, args);
    };
    try {
      return await import("oidc-provider");
    } finally {
      console.warn = warn;
    }
  })();
  return loaded;
}
