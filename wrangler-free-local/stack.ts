import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { parseConfig, type RepogateConfig } from "../src/config/index.ts";
import { mcpResourceUrls } from "../src/http/app.ts";
import { secretEnvName } from "../src/secrets/index.ts";
import { startServer } from "../src/server.ts";
import { startAwsEmulator } from "./aws/index.ts";
import { startGitHubEmulator } from "./github/index.ts";
import { startDevIdp } from "./idp/index.ts";
import { describeLocalStack } from "./local-summary.ts";

/** Default ports of the local stack; each can be overridden. */
export const DEFAULT_LOCAL_PORTS = { broker: 8700, github: 8701, idp: 8702, aws: 8703 } as const;

/** Options for `repogate local`. */
export interface LocalStackOptions {
  /** Where repositories, keys and emulator state live; defaults to `.repogate` in the working directory. */
  dataDir?: string;
  host?: string;
  ports?: Partial<Record<keyof typeof DEFAULT_LOCAL_PORTS, number>>;
  /** Policy the broker enforces; defaults to the seed policy (the four rules of DESIGN.md). */
  policyFile?: string;
  /** Serve the broker's Prometheus metrics on this port (0: any free port); not served when absent. */
  metricsPort?: number;
  /** How long the broker lets in-flight requests run once stopping starts (default 20 s). */
  shutdownTimeoutMs?: number;
  /** Broker log level (pino); logs go to stderr. */
  logLevel?: RepogateConfig["logLevel"];
  /** Where progress and the summary table go (stdout by default). */
  print?: (line: string) => void;
}

/** What `.repogate/local.json` records, so other commands (and people) can find the running stack. */
export interface LocalStackDescription {
  dataDir: string;
  github: {
    url: string;
    appId: number;
    clientId: string;
    slug: string;
    privateKeyPath: string;
    /** Where the emulator delivers the App's webhooks: the broker's `/github/webhook`. */
    webhookUrl: string;
    /** A local development secret, generated per start, that signs those deliveries. */
    webhookSecret: string;
  };
  idp: { issuer: string; url: string };
  aws: { url: string; region: string };
  broker: { url: string; resourceUrl: string; mcpUrl: string; policyFile: string; metricsUrl?: string };
  startedAt: string;
  pid: number;
}

/** A running local stack: its description and one call to stop everything. */
export interface LocalStack {
  description: LocalStackDescription;
  close(): Promise<void>;
}

/** A local service could not bind its port because something else (often another `repogate local`) holds it. */
export class LocalPortInUseError extends Error {
  readonly code = "LOCAL_PORT_IN_USE";
  constructor(
    readonly service: string,
    readonly address: string,
    readonly port: number,
    flag: string,
    options?: ErrorOptions,
  ) {
    super(
      `the ${service} cannot listen on ${address}:${port}: the port is in use (another \`repogate local\`?). ` +
        `Stop what holds it, or pick another port with ${flag} <port>.`,
      options,
    );
    this.name = "LocalPortInUseError";
  }
}

/** Turns Node's EADDRINUSE for one of the stack's ports into a LocalPortInUseError naming its flag. */
function portInUse(
  error: unknown,
  host: string,
  services: Map<number, { service: string; flag: string }>,
): unknown {
  const { code, port } = (error ?? {}) as { code?: unknown; port?: unknown };
  const known = typeof port === "number" ? services.get(port) : undefined;
  if (code !== "EADDRINUSE" || !known || typeof port !== "number") return error;
  return new LocalPortInUseError(known.service, host, port, known.flag, { cause: error });
}

/** The seed policy shipped with the local stack. */
export const SEED_POLICY_FILE = fileURLToPath(new URL("./seed/policy.yaml", import.meta.url));

/** The secret name the local broker reads the webhook secret under (from its environment secret store). */
export const LOCAL_WEBHOOK_SECRET_NAME = "github-webhook-secret";

/** The scope the dev IdP issues for the broker resource, and the broker requires on every MCP message. */
export const LOCAL_MCP_SCOPE = "mcp:tools";

/** Starts the GitHub emulator, the dev IdP and the AWS emulator, and writes `local.json` describing them. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = path.resolve(options.dataDir ?? ".repogate");
  const host = options.host ?? "127.0.0.1";
  const ports = { ...DEFAULT_LOCAL_PORTS, ...options.ports };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const brokerUrl = `http://${host}:${ports.broker}`;
  const resourceUrl = `${brokerUrl}/mcp`;
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    // One at a time in reverse start order: the broker finishes its in-flight calls (and revokes their
    // tokens at the GitHub emulator) before the emulators go away. One failing close must not keep the
    // others running.
    const failures: unknown[] = [];
    for (const service of started.splice(0).reverse()) {
      await service.close().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw new AggregateError(failures, "some local services failed to stop");
  };

  // Webhooks on, as in production: the emulator signs installation changes with a fresh local secret and
  // delivers them to the broker, which reads the same secret from its (environment) secret store.
  const webhookSecret = randomBytes(24).toString("hex");

  try {
    const github = await startGitHubEmulator({
      host,
      port: ports.github,
      dataDir,
      webhook: { url: `${brokerUrl}/github/webhook`, secret: webhookSecret, active: true },
    });
    started.push(github);
    // `localhost`, `127.0.0.1` and `[::1]` all reach a loopback broker; a client may use any of them.
    const idp = await startDevIdp({
      host,
      port: ports.idp,
      dataDir,
      resourceUrls: mcpResourceUrls(brokerUrl),
    });
    started.push(idp);
    const aws = await startAwsEmulator({ host, port: ports.aws, dataDir });
    started.push(aws);

    const config = parseConfig({
      publicUrl: brokerUrl,
      listen: { host, port: ports.broker },
      auth: { oidc: { issuer: idp.issuer, requiredScopes: [LOCAL_MCP_SCOPE] } },
      github: {
        apiUrl: github.url,
        appId: github.app.id,
        clientId: github.app.clientId,
        signer: { type: "pem", privateKeyPath: github.app.privateKeyPath },
      },
      policy: { file: path.resolve(options.policyFile ?? SEED_POLICY_FILE) },
      audit: { sink: "jsonl", file: path.join(dataDir, "audit", "audit.jsonl") },
      secrets: { webhookSecret: LOCAL_WEBHOOK_SECRET_NAME },
      aws: { region: aws.region, endpoint: aws.url },
      logLevel: options.logLevel ?? "info",
      ...(options.metricsPort !== undefined
        ? { metrics: { prometheus: { port: options.metricsPort, host } } }
        : {}),
    });
    // stdout carries the summary table and Claude Desktop snippets; broker logs go to stderr.
    const logger = pino({ level: config.logLevel, base: { service: "repogate" } }, process.stderr);
    const broker = await startServer(config, {
      logger,
      env: { [secretEnvName(LOCAL_WEBHOOK_SECRET_NAME)]: webhookSecret },
      ...(options.shutdownTimeoutMs !== undefined ? { shutdownTimeoutMs: options.shutdownTimeoutMs } : {}),
    });
    started.push(broker);
    // With --broker-port 0 the real port is known only now: point the App's webhook at it.
    const webhookUrl = `${broker.url}/github/webhook`;
    github.state.webhooks.configure({ url: webhookUrl, secret: webhookSecret, active: true });

    const description: LocalStackDescription = {
      dataDir,
      github: {
        url: github.url,
        appId: github.app.id,
        clientId: github.app.clientId,
        slug: github.app.slug,
        privateKeyPath: github.app.privateKeyPath,
        webhookUrl,
        webhookSecret,
      },
      idp: { issuer: idp.issuer, url: idp.url },
      aws: { url: aws.url, region: aws.region },
      broker: {
        url: broker.url,
        resourceUrl,
        mcpUrl: resourceUrl,
        policyFile: config.policy.file,
        ...(broker.repogate.metricsUrl ? { metricsUrl: broker.repogate.metricsUrl } : {}),
      },
      startedAt: new Date().toISOString(),
      pid: process.pid,
    };
    await writeFile(path.join(dataDir, "local.json"), `${JSON.stringify(description, null, 2)}\n`, {
      mode: 0o600,
    });
    return { description, close: closeAll };
  } catch (error) {
    await closeAll().catch(() => undefined);
    const services = new Map<number, { service: string; flag: string }>([
      [ports.github, { service: "GitHub API emulator", flag: "--github-port" }],
      [ports.idp, { service: "dev OpenID provider", flag: "--idp-port" }],
      [ports.aws, { service: "AWS API emulator", flag: "--aws-port" }],
      [ports.broker, { service: "broker", flag: "--broker-port" }],
      ...(options.metricsPort
        ? [[options.metricsPort, { service: "metrics listener", flag: "--metrics-port" }] as const]
        : []),
    ]);
    services.delete(0);
    throw portInUse(error, host, services);
  }
}

/** Starts the stack, prints what runs, and stops everything cleanly on SIGINT/SIGTERM. */
export async function runLocalStack(options: LocalStackOptions): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  print("repogate local: starting the local stack (no cloud, no internet)…");
  let stack: LocalStack;
  try {
    stack = await startLocalStack(options);
  } catch (error) {
    // A busy port, a bad setting or policy file: errors with a stable code carry an actionable message, so one
    // line says it; anything else is a bug and keeps its stack trace.
    if (!(error instanceof Error) || typeof (error as { code?: unknown }).code !== "string") throw error;
    process.stderr.write(`repogate local: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  for (const line of describeLocalStack(stack.description)) print(line);
  print("\nPress Ctrl-C to stop.");

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      print(`\n${signal}: stopping…`);
      stack
        .close()
        .catch((error: unknown) =>
          print(`error while stopping: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
