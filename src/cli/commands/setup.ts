import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { isLoopbackUrl } from "../../http/loopback.ts";

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`not a TCP port: ${value}`);
  return port;
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 7 || days > 30) throw new InvalidArgumentError("7 to 30 days");
  return days;
}

/** AWS clients for the admin's credentials; a local endpoint (the emulator) needs no real ones. */
async function awsClients(region: string, endpoint: string | undefined) {
  const { KMSClient } = await import("@aws-sdk/client-kms");
  const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  const local = isLoopbackUrl(endpoint);
  const common = {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(local && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: "repogate-local-emulator", secretAccessKey: "local-emulator" } }
      : {}),
  };
  return { kms: new KMSClient(common), secrets: new SecretsManagerClient(common) };
}

interface GitHubAppOptions {
  org: string;
  publicUrl: string;
  githubUrl: string;
  apiUrl?: string;
  name?: string;
  kmsKey?: string;
  createKey?: boolean;
  alias: string;
  replaceAlias?: boolean;
  region: string;
  awsEndpoint?: string;
  secretPrefix: string;
  writeConfig?: string;
  host: string;
  port: number;
}

interface RotateKeyOptions {
  pem: string;
  config?: string;
  alias?: string;
  deletionWindowDays: number;
}

/** `repogate setup …`: the org admin's commands (create the App from its manifest, rotate its key). */
export function registerSetupCommand(program: Command): void {
  const setup = program
    .command("setup")
    .description("org-admin setup: create the GitHub App, rotate its key");

  setup
    .command("github-app")
    .description(
      "create the GitHub App from its manifest in a local web page; its private key goes straight into KMS, never to disk",
    )
    .requiredOption("--org <org>", "the organization that will own the App")
    .requiredOption("--public-url <url>", "the broker's public URL (webhook: <url>/github/webhook)")
    .option("--github-url <url>", "GitHub's web URL (GHES: https://HOST)", "https://github.com")
    .option("--api-url <url>", "GitHub's API URL (default: api.github.com, or <github-url>/api/v3 for GHES)")
    .option("--name <name>", "the App's name on GitHub (unique across GitHub)", "repogate")
    .option(
      "--kms-key <id>",
      "the EXTERNAL RSA_2048 SIGN_VERIFY key (PendingImport) to import into, e.g. from the CDK app",
    )
    .option("--create-key", "create that KMS key instead")
    .option("--alias <alias>", "KMS alias the broker signs with", "alias/repogate-github-app")
    .option("--replace-alias", "move the alias even when it points at another Enabled key (a live App key)")
    .option("--region <region>", "AWS region", process.env.AWS_REGION ?? "us-east-1")
    .option("--aws-endpoint <url>", "AWS endpoint (the local AWS emulator, http://127.0.0.1:8703)")
    .option(
      "--secret-prefix <prefix>",
      "Secrets Manager names: <prefix>/webhook-secret, <prefix>/client-secret",
      "repogate/github-app",
    )
    .option("--write-config <file>", "also write the settings into this YAML config file")
    .option("--host <host>", "address of the local page", "127.0.0.1")
    .option("--port <port>", "port of the local page (0: any free port)", parsePort, 0)
    .action(async (opts: GitHubAppOptions) => {
      const { apiUrlForGitHubUrl, runGitHubAppSetup } = await import("../../setup/github-app-setup.ts");
      const { kms, secrets } = await awsClients(opts.region, opts.awsEndpoint);
      const print = (line: string) => process.stdout.write(`${line}\n`);
      try {
        const result = await runGitHubAppSetup({
          org: opts.org,
          publicUrl: opts.publicUrl,
          githubUrl: opts.githubUrl,
          apiUrl: opts.apiUrl ?? apiUrlForGitHubUrl(opts.githubUrl),
          name: opts.name ?? "repogate",
          kms,
          ...(opts.kmsKey ? { keyId: opts.kmsKey } : {}),
          createKey: opts.createKey === true,
          alias: opts.alias,
          ...(opts.replaceAlias ? { replaceAlias: true } : {}),
          region: opts.region,
          secrets,
          secretPrefix: opts.secretPrefix,
          ...(opts.writeConfig ? { writeConfig: opts.writeConfig } : {}),
          host: opts.host,
          port: opts.port,
          print,
        });
        print(
          `\nGitHub App ${result.slug} (id ${result.appId}) is ready; its key is in KMS ${result.keyArn} (${result.alias}).`,
        );
        print(
          opts.writeConfig
            ? `Settings written to ${opts.writeConfig}:`
            : "Add these settings to the broker's config:",
        );
        for (const line of result.configLines) print(`  ${line}`);
        print(`\nInstall the App: ${result.installUrl}`);
      } finally {
        kms.destroy();
        secrets.destroy();
      }
    });

  setup
    .command("rotate-key")
    .description(
      "import a new App private key (from the App's settings on GitHub) into a new KMS key and move the alias",
    )
    .requiredOption("--pem <file>", "the private key GitHub downloaded (.pem)")
    .option("-c, --config <file>", "the broker's config (App id, client id, KMS alias, audit trail)")
    .option("--alias <alias>", "KMS alias to move (default: github.signer.keyId of the config)")
    .option(
      "--deletion-window-days <days>",
      "waiting period before KMS deletes the old key (7-30)",
      parseDays,
      30,
    )
    .action(async (opts: RotateKeyOptions) => {
      const { loadConfig } = await import("../../config/index.ts");
      const { rotateKeyFromConfig } = await import("../../setup/rotate-key-command.ts");
      const config = await loadConfig({ file: opts.config ?? process.env.REPOGATE_CONFIG, env: process.env });
      let pem: string;
      try {
        pem = await readFile(opts.pem, "utf8");
      } catch (error) {
        throw Object.assign(new Error(`cannot read ${opts.pem}: ${(error as NodeJS.ErrnoException).code}`), {
          code: "PEM_UNREADABLE",
        });
      }
      const lines = await rotateKeyFromConfig(config, {
        pem,
        pemFile: opts.pem,
        ...(opts.alias ? { alias: opts.alias } : {}),
        deletionWindowDays: opts.deletionWindowDays,
        hasAwsCredentials: Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE),
      });
      for (const line of lines) process.stdout.write(`${line}\n`);
    });
}
