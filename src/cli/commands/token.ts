import type { Command } from "commander";

/** `repogate token`: placeholder until its issue lands. */
export function registerTokenCommand(program: Command): void {
  program.command("token").description("(not yet available)");
}
