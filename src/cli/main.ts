import { Command } from "commander";
import { registerAuditCommand } from "./commands/audit.ts";
import { registerDoctorCommand } from "./commands/doctor.ts";
import { registerLocalCommand } from "./commands/local.ts";
import { registerPolicyCommand } from "./commands/policy.ts";
import { registerServeCommand } from "./commands/serve.ts";
import { registerSetupCommand } from "./commands/setup.ts";
import { registerTokenCommand } from "./commands/token.ts";

/** Builds the `repogate` command tree; each command lives in its own module under `commands/`. */
export function buildProgram(): Command {
  const program = new Command()
    .name("repogate")
    .description("GitHub App broker and remote MCP server: SSO in, narrowed read-only GitHub tokens out.")
    .version("0.1.0")
    .showHelpAfterError();
  registerLocalCommand(program);
  registerServeCommand(program);
  registerTokenCommand(program);
  registerPolicyCommand(program);
  registerAuditCommand(program);
  registerDoctorCommand(program);
  registerSetupCommand(program);
  return program;
}

/**
 * CLI entry point: parses argv and runs the chosen command. A repogate error (one with a stable `code`, such as
 * an invalid config) or a system error (EADDRINUSE …) is printed as one line and exits 1; only unexpected
 * errors get Node's stack dump, which would bury the message and print every property of the error.
 */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Node's own ERR_* codes mean a bug (a wrong argument somewhere): those keep their stack.
    if (!(error instanceof Error) || typeof code !== "string" || code.startsWith("ERR_")) throw error;
    process.stderr.write(`repogate: ${error.message}${error.message.includes(code) ? "" : ` (${code})`}
`);
    process.exitCode = 1;
  }
}
