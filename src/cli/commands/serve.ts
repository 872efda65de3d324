import type { Command } from "commander";

/** `repogate serve`: the production server (ECS Fargate, or any host with Node). */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run the broker: MCP endpoint, OAuth resource metadata, health checks")
    .option(
      "-c, --config <file>",
      "YAML or JSON settings (REPOGATE_* environment variables override single values)",
    )
    .addHelpText(
      "after",
      "\nThe config file may also be named by REPOGATE_CONFIG. SIGHUP reloads the policy; SIGTERM/SIGINT stop\ntaking requests, let in-flight ones finish and flush what is pending before exiting.",
    )
    .action(async (opts: { config?: string }) => {
      // Loaded here, not at the top: every other command (policy check, audit query, ...) would otherwise load
      // the whole broker, its AWS SDK clients and the MCP SDK before doing anything.
      const { loadConfig } = await import("../../config/index.ts");
      const { startServer } = await import("../../server.ts");
      const config = await loadConfig({ file: opts.config ?? process.env.REPOGATE_CONFIG, env: process.env });
      // The local secret store reads REPOGATE_SECRET_* from the environment it is handed, never process.env itself.
      const server = await startServer(config, { env: process.env });
      process.on("SIGHUP", () => void server.repogate.policy.reload("signal"));
      await new Promise<void>((resolve) => {
        const stop = () => {
          server.close().finally(resolve);
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    });
}
