import type { Command } from "commander";

/** `repogate doctor`: checks config, IdP, GitHub, KMS, Secrets Manager and the audit sink, and says what to fix. */
export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description(
      "check config, policy, IdP, GitHub App, KMS key, secrets and audit sink; print a fix for each failure",
    )
    .option(
      "-c, --config <file>",
      "YAML or JSON settings (REPOGATE_* environment variables override single values)",
    )
    .option("--local", "check the running local stack described by <data-dir>/local.json")
    .option("--data-dir <dir>", "where local.json lives (with --local)", ".repogate")
    .option(
      "--timeout <ms>",
      "deadline per check in milliseconds",
      (v: string) => Number.parseInt(v, 10),
      10_000,
    )
    .addHelpText("after", "\nExit status: 0 when every check passed, 1 when any failed.")
    .action(async (opts: { config?: string; local?: boolean; dataDir: string; timeout: number }) => {
      const { runDoctor } = await import("../../doctor/run.ts");
      const configFile = opts.config ?? process.env.REPOGATE_CONFIG;
      const { exitCode } = await runDoctor({
        ...(configFile ? { configFile } : {}),
        local: opts.local === true,
        dataDir: opts.dataDir,
        env: process.env,
        timeoutMs: Number.isFinite(opts.timeout) && opts.timeout > 0 ? opts.timeout : 10_000,
      });
      // Exit now: a check that timed out may still hold a socket open.
      process.exit(exitCode);
    });
}
