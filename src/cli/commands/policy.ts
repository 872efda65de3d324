import { type Command, type CommanderError, Option } from "commander";
import { formatDecision } from "../../policy/explain.ts";
import { type PolicyDecision, PolicyEngine, PolicyError } from "../../policy/index.ts";
import { loadPolicyFile, type Policy } from "../../policy/load.ts";
import { explainRefWithoutGitHub } from "../../policy/ref-check.ts";
import { OPERATIONS, type Operation } from "../../policy/schema.ts";

/** Exit codes of `repogate policy explain` (documented in its --help). */
const EXIT_EXPLAINED = 0;
const EXIT_BAD_INPUT = 2;

interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs `policy check FILE`; returns the exit code (0 valid, 1 invalid or unreadable). */
export async function runPolicyCheck(
  file: string,
  options: { json?: boolean },
  io: Output = stdio,
): Promise<number> {
  try {
    const policy = await loadPolicyFile(file, { source: file });
    if (options.json)
      io.out(
        JSON.stringify({ ok: true, file, rules: policy.rules.length, digest: policy.digest, issues: [] }),
      );
    else io.out(`OK: ${policy.rules.length} rule${policy.rules.length === 1 ? "" : "s"}`);
    return 0;
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    if (options.json) io.out(JSON.stringify({ ok: false, file, code: error.code, issues: error.issues }));
    else for (const line of error.lines()) io.out(line);
    return 1;
  }
}

interface ExplainOptions {
  policy: string;
  user?: string;
  sub?: string;
  email?: string;
  groups?: string;
  repo: string;
  operation: Operation;
  ref?: string;
  defaultBranch?: string;
  json?: boolean;
}

/** Runs `policy explain`; returns 0 when it could explain (allow or deny), 2 on bad input. */
export async function runPolicyExplain(options: ExplainOptions, io: Output = stdio): Promise<number> {
  const sub = options.sub ?? options.user;
  if (!sub) {
    io.err("error: give --user or --sub (who is asking)");
    return EXIT_BAD_INPUT;
  }
  const email = options.email ?? (options.user?.includes("@") ? options.user : undefined);
  const groups = (options.groups ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
  let policy: Policy;
  try {
    policy = await loadPolicyFile(options.policy, { source: options.policy });
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    for (const line of error.lines()) io.err(line);
    return EXIT_BAD_INPUT;
  }
  const engine = new PolicyEngine(policy);
  const repoDecision = engine.decide({
    principal: { sub, email: email ?? null, groups },
    repository: options.repo,
    operation: options.operation,
  });
  const decision: PolicyDecision = explainRefWithoutGitHub(
    repoDecision,
    options.ref,
    options.defaultBranch === undefined ? {} : { defaultBranch: options.defaultBranch },
  );
  if (options.json) {
    io.out(JSON.stringify({ principal: { sub, email: email ?? null, groups }, decision }, null, 2));
  } else {
    io.out(
      `principal:  ${sub}${email && email !== sub ? ` <${email}>` : ""}${groups.length ? ` groups ${groups.join(", ")}` : " (no groups)"}`,
    );
    io.out(formatDecision(decision));
  }
  return EXIT_EXPLAINED;
}

function exitWith(code: number): (error: CommanderError) => never {
  // Commander's own errors (missing option, bad choice) are bad input; --help and --version exit 0.
  return (error) => process.exit(error.exitCode === 0 ? 0 : code);
}

/** `repogate policy check|explain`: validate a policy and say which rule decides a request and why. */
export function registerPolicyCommand(program: Command): void {
  const policy = program
    .command("policy")
    .description("validate a repository policy file, or explain which rule decides a request");

  policy
    .command("check")
    .description("validate a policy file; prints `OK: N rules` or one `file:line: field: problem` per error")
    .argument("<file>", "policy YAML file")
    .option("--json", "print the result as JSON")
    .addHelpText("after", "\nExit codes: 0 the policy is valid, 1 it is invalid or unreadable, 2 bad usage.")
    .exitOverride(exitWith(2))
    .action(async (file: string, options: { json?: boolean }) => {
      process.exitCode = await runPolicyCheck(file, options);
    });

  policy
    .command("explain")
    .description("say whether a request would be allowed, which rule decides it and why (no GitHub calls)")
    .requiredOption("--policy <file>", "policy YAML file")
    .option("--user <user>", "the caller: an email (sets email and sub) or a subject id")
    .option("--sub <sub>", "the caller's subject (sub claim); overrides --user for subject rules")
    .option("--email <email>", "the caller's email; overrides the one taken from --user")
    .option("--groups <a,b>", "the caller's IdP groups, comma-separated", "")
    .requiredOption("--repo <owner/name>", "the repository")
    .addOption(new Option("--operation <op>", "the operation").choices([...OPERATIONS]).makeOptionMandatory())
    .option("--ref <ref>", "branch, tag or commit SHA (default: the repository's default branch)")
    .option(
      "--default-branch <branch>",
      "the repository's default branch, to explain a request without --ref offline",
    )
    .option("--json", "print the decision as JSON")
    .addHelpText(
      "after",
      [
        "",
        "Exit codes: 0 the request was explained (whether allowed or denied: read `decision`),",
        "            2 bad input (missing or invalid options, unreadable or invalid policy).",
        "A commit SHA on a rule with `branches` cannot be settled offline (reachability needs GitHub):",
        "the decision is then UNDECIDED with code REF_NEEDS_GITHUB.",
        "",
        "Example:",
        "  repogate policy explain --policy policy.yaml --user alice@mycompany.example --groups eng \\",
        "    --repo facebook/react --operation read --ref main",
      ].join("\n"),
    )
    .exitOverride(exitWith(EXIT_BAD_INPUT))
    .action(async (options: ExplainOptions) => {
      process.exitCode = await runPolicyExplain(options);
    });
}
