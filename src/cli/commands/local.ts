import { type Command, InvalidArgumentError } from "commander";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`not a TCP port: ${value}`);
  return port;
}

interface LocalOptions {
  dataDir: string;
  host: string;
  brokerPort: number;
  githubPort: number;
  idpPort: number;
  awsPort: number;
  policy?: string;
  metricsPort?: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

/** `repogate local`: the whole stack on one machine, no cloud, no internet. */
export function registerLocalCommand(program: Command): void {
  program
    .command("local")
    .description("start the broker and the local stack (GitHub emulator, dev IdP, AWS emulator) on 127.0.0.1")
    .option("--data-dir <dir>", "where repositories, keys and emulator state live", ".repogate")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option(
      "--broker-port <port>",
      "broker port (the IdP puts <broker>/mcp in token audiences)",
      parsePort,
      8700,
    )
    .option("--github-port <port>", "GitHub API emulator port", parsePort, 8701)
    .option("--idp-port <port>", "dev OpenID provider port", parsePort, 8702)
    .option("--aws-port <port>", "AWS API emulator port", parsePort, 8703)
    .option("--metrics-port <port>", "serve the broker's Prometheus metrics on this port", parsePort)
    .option("--policy <file>", "policy the broker enforces (default: wrangler-free-local/seed/policy.yaml)")
    .option("--log-level <level>", "broker log level (fatal, error, warn, info, debug, silent)", "info")
    .action(async (opts: LocalOptions) => {
      const { runLocalStack } = await import("../../../wrangler-free-local/stack.ts");
      await runLocalStack({
        dataDir: opts.dataDir,
        host: opts.host,
        ports: { broker: opts.brokerPort, github: opts.githubPort, idp: opts.idpPort, aws: opts.awsPort },
        ...(opts.policy ? { policyFile: opts.policy } : {}),
        ...(opts.metricsPort !== undefined ? { metricsPort: opts.metricsPort } : {}),
        logLevel: opts.logLevel,
      });
    });
}
