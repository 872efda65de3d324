import { Command } from "commander";
import { registerAuditCommand } from "./commands/audit.ts";
import { registerDoctorCommand } from "./commands/doctor.ts";
import { registerLocalCommand } from "./commands/local.ts";
import { registerPolicyCommand } from "./commands/policy.ts";
import { registerServeCommand } from "./commands/serve.ts";
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
  return program;
}

/** CLI entry point: parses argv and runs the chosen command. */
export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
