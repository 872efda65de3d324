/** What the emulators process announces, and the broker options built from it (bench/overhead/broker.ts). */
import { LOCAL_MCP_SCOPE, SEED_POLICY_FILE } from "../../wrangler-free-local/stack.ts";

/** The emulators process's ready line (bench/overhead/emulators.ts). */
export interface Upstreams {
  github: { url: string; id: number; clientId: string; privateKeyPath: string };
  issuer: string;
  aws: { url: string; region: string };
  kmsAlias: string;
}

/** The options of a broker against these upstreams, with the local stack's scope and seed policy. */
export function brokerOptions(up: Upstreams, dataDir: string) {
  return {
    dataDir,
    issuer: up.issuer,
    scope: LOCAL_MCP_SCOPE,
    policyFile: SEED_POLICY_FILE,
    github: up.github,
    aws: up.aws,
    kmsAlias: up.kmsAlias,
  };
}
