import type { Command } from "commander";

/** `repogate policy`: placeholder until its issue lands. */
export function registerPolicyCommand(program: Command): void {
  program.command("policy").description("(not yet available)");
}
