import type { Command } from "commander";

/** `repogate local`: the whole stack on one machine, no cloud. Filled in by the local-stack issues. */
export function registerLocalCommand(program: Command): void {
  program
    .command("local")
    .description("start the local stack (GitHub emulator, dev IdP, AWS emulator, broker) on 127.0.0.1")
    .action(async () => {
      const { runLocalStack } = await import("../../../wrangler-free-local/stack.ts");
      await runLocalStack({});
    });
}
