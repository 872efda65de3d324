import path from "node:path";
import type { LocalStackDescription } from "./stack.ts";

/** Claude Desktop `claude_desktop_config.json` entries for the local broker, ready to paste. */
export function claudeDesktopConfigs(mcpUrl: string): { oauth: unknown; staticHeader: unknown } {
  return {
    // mcp-remote bridges stdio to the remote server and runs the OAuth sign-in in the browser.
    oauth: { mcpServers: { repogate: { command: "npx", args: ["-y", "mcp-remote", mcpUrl] } } },
    // No spaces inside args: Claude Desktop on Windows mangles them, so the header value lives in env.
    staticHeader: {
      mcpServers: {
        repogate: {
          command: "npx",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote itself expands ${VAR} from env.
          args: ["-y", "mcp-remote", mcpUrl, "--header", "Authorization:${REPOGATE_AUTH}"],
          env: {
            REPOGATE_AUTH: "Bearer <paste the output of: npx repogate token --user alice@mycompany.example>",
          },
        },
      },
    },
  };
}

/** The lines `repogate local` prints: what runs where, how to get a token, how to connect Claude Desktop. */
export function describeLocalStack(d: LocalStackDescription): string[] {
  const rows: [string, string, string][] = [
    ["repogate broker (MCP)", d.broker.mcpUrl, `policy ${d.broker.policyFile}`],
    ["GitHub API emulator", d.github.url, `App id ${d.github.appId}, key ${d.github.privateKeyPath}`],
    ["GitHub webhooks", d.github.webhookUrl, "installation changes, signed (secret in local.json)"],
    ["Dev OpenID provider", d.idp.issuer, "users: alice@mycompany.example (eng), pat@partner.example, …"],
    ["AWS API emulator", d.aws.url, `KMS, Secrets Manager, CloudWatch Logs (${d.aws.region})`],
    ...(d.broker.metricsUrl
      ? [["Broker metrics", d.broker.metricsUrl, "Prometheus text format"] as [string, string, string]]
      : []),
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  const urlWidth = Math.max(...rows.map((r) => r[1].length));
  const configs = claudeDesktopConfigs(d.broker.mcpUrl);
  const indent = (value: unknown) =>
    JSON.stringify(value, null, 2)
      .split("\n")
      .map((line) => `    ${line}`);
  return [
    ...rows.map(([name, url, note]) => `  ${name.padEnd(width)}  ${url.padEnd(urlWidth)}  ${note}`),
    "",
    `  state written to ${path.join(d.dataDir, "local.json")}`,
    "",
    "Get an access token (real authorization-code + PKCE flow against the dev IdP):",
    "    npx repogate token --user alice@mycompany.example",
    "",
    "Claude Desktop, custom connector (Settings → Connectors → Add custom connector):",
    `    URL: ${d.broker.mcpUrl}`,
    "    (Claude's servers finish the sign-in, so this path needs the broker and IdP reachable from the",
    "     internet; on one machine use mcp-remote below.)",
    "",
    "Claude Desktop through mcp-remote, signing in with the dev IdP in your browser:",
    ...indent(configs.oauth),
    "",
    "Claude Desktop through mcp-remote with a static token (expires after an hour):",
    ...indent(configs.staticHeader),
  ];
}
