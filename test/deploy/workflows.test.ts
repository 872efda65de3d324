/**
 * The deploy pipeline: actionlint passes on both workflows and catches what it should (the lint is part of
 * `npm run lint`), and deploy.yml has the shape the deployment relies on.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, "../..");
const lint = (...files: string[]) =>
  run(process.execPath, ["scripts/lint-workflows.mjs", ...files], { cwd: REPO_ROOT });

/** A GitHub Actions expression as written in a workflow. */
const expression = (inner: string) => `\${{ ${inner} }}`;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  name?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<
    string,
    {
      permissions?: Record<string, string>;
      steps?: Step[];
      needs?: string;
      uses?: string;
      env?: Record<string, string>;
    }
  >;
}

describe("GitHub workflows", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("pass actionlint", async () => {
    const { stdout } = await lint();
    expect(stdout).toContain(".github/workflows/ci.yml, .github/workflows/deploy.yml OK");
  }, 60_000);

  it("actionlint refuses a bad permission and an unknown input of configure-aws-credentials@v4", async () => {
    const dir = await mkdtemp(join(tmpdir(), "repogate-workflows-"));
    dirs.push(dir);
    const original = await readFile(join(REPO_ROOT, ".github/workflows/deploy.yml"), "utf8");
    const broken = original
      .replace("id-token: write", "id-token: writ")
      .replace("role-to-assume:", "role-to-asume:");
    expect(broken).not.toBe(original);
    const file = join(dir, "deploy.yml");
    await writeFile(file, broken);
    const failure = await lint(relative(REPO_ROOT, file)).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toContain('"writ" is invalid for permission of scope "id-token"');
    expect(stderr).toMatch(/input "role-to-asume" is not defined/);
  }, 60_000);

  it("deploy.yml: tests first, OIDC role from vars, image tagged with the commit SHA, cdk deploy of that tag, /healthz", async () => {
    const deploy = parse(await readFile(join(REPO_ROOT, ".github/workflows/deploy.yml"), "utf8")) as Workflow;
    expect(deploy.permissions).toEqual({ contents: "read" });
    expect(deploy.jobs.ci?.uses).toBe("./.github/workflows/ci.yml");
    const job = deploy.jobs.deploy;
    expect(job?.needs).toBe("ci");
    expect(job?.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(job?.env?.IMAGE_TAG).toBe(expression("github.sha"));
    const steps = job?.steps ?? [];
    const credentials = steps.find((s) => s.uses === "aws-actions/configure-aws-credentials@v4");
    expect(credentials?.with?.["role-to-assume"]).toBe(expression("vars.AWS_DEPLOY_ROLE_ARN"));
    expect(credentials?.with).not.toHaveProperty("aws-access-key-id");
    const script = steps.map((s) => s.run ?? "").join("\n");
    expect(script).toMatch(/docker push "\$image"/);
    expect(script).toMatch(/image="\$REGISTRY\/\$repository:\$IMAGE_TAG"/);
    expect(script).toMatch(/cdk deploy "\$stack" .*-c "imageTag=\$IMAGE_TAG"/);
    expect(script).toMatch(/curl --fail .*\/healthz"/s);
    const order = ["configure-aws-credentials", "docker push", 'cdk deploy "$stack"', "/healthz"].map(
      (marker) => steps.findIndex((s) => (s.uses ?? s.run ?? "").includes(marker)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order).not.toContain(-1);

    const ci = parse(await readFile(join(REPO_ROOT, ".github/workflows/ci.yml"), "utf8")) as Workflow;
    expect(ci.on).toHaveProperty("workflow_call");
    const ciScript = (ci.jobs.test?.steps ?? []).map((s) => s.run ?? "").join("\n");
    for (const command of ["npm ci", "npm run lint", "npm test", "npm run synth"])
      expect(ciScript).toContain(command);
  });
});
