/** Context handling: bad values are refused with the key named; Redis only where brokers share limits; bundling. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DeploymentSettingsError, parseDeploymentSettings } from "../lib/settings.ts";
import { CHECKED_IN_CONTEXT, synthesize } from "./synthesize.ts";

describe("deployment settings", () => {
  it("accepts the checked-in context and -c strings, with the documented defaults", () => {
    const settings = parseDeploymentSettings({
      ...CHECKED_IN_CONTEXT,
      desiredCount: "3",
      oidcAudiences: "a, b",
    });
    expect(settings).toMatchObject({
      desiredCount: 3,
      oidcAudiences: ["a", "b"],
      auditRetentionDays: 400,
      cpu: 512,
    });
  });

  it("names every bad key", () => {
    const attempt = () =>
      parseDeploymentSettings({
        ...CHECKED_IN_CONTEXT,
        auditRetentionDays: 401,
        certificateArn: "not-an-arn",
        oidcIssuer: "http://sso.example.com",
      });
    expect(attempt).toThrow(DeploymentSettingsError);
    try {
      attempt();
    } catch (error) {
      const issues = (error as DeploymentSettingsError).issues.join("\n");
      expect(issues).toMatch(/^auditRetentionDays: must be one of CloudWatch's retention periods/m);
      expect(issues).toMatch(/^certificateArn: /m);
      expect(issues).toMatch(/^oidcIssuer: /m);
    }
  });
});

describe("shared rate limits", () => {
  it("adds Redis to Fargate only when more than one task runs; Lambda always has it", () => {
    const single = synthesize({ context: { desiredCount: 1 } });
    expect(Object.keys(single.templates.fargate.findResources("AWS::ElastiCache::ReplicationGroup"))).toEqual(
      [],
    );
    const env = JSON.stringify(single.templates.fargate.findResources("AWS::ECS::TaskDefinition"));
    expect(env).not.toContain("REPOGATE_REDIS_URL");
    expect(
      Object.keys(single.templates.lambda.findResources("AWS::ElastiCache::ReplicationGroup")),
    ).toHaveLength(1);

    const several = synthesize({ context: { desiredCount: 3 } }).templates.fargate;
    several.hasResourceProperties("AWS::ECS::Service", { DesiredCount: 3 });
    const task = JSON.stringify(several.findResources("AWS::ECS::TaskDefinition"));
    expect(task).toMatch(
      /"REPOGATE_REDIS_URL","Value":\{"Fn::Join":\["",\["rediss:\/\/",\{"Fn::GetAtt":\["Redis/,
    );
  });
});

describe("Lambda bundle", () => {
  it("is bundled by the local esbuild with the deployed policy beside the handler", () => {
    const { outdir } = synthesize({ bundle: true });
    const manifest = JSON.parse(readFileSync(path.join(outdir, "RepogateLambda.assets.json"), "utf8")) as {
      files: Record<string, { source: { path: string } }>;
    };
    const bundles = Object.values(manifest.files).map((file) => path.join(outdir, file.source.path));
    const bundle = bundles.find((dir) => existsSync(path.join(dir, "index.mjs")));
    expect(bundle, bundles.join(", ")).toBeDefined();
    expect(readFileSync(path.join(bundle as string, "policy.yaml"), "utf8")).toBe(
      readFileSync(path.join(import.meta.dirname, "../policy.yaml"), "utf8"),
    );
    expect(readFileSync(path.join(bundle as string, "index.mjs"), "utf8")).toContain("createRequire");
  }, 60_000);
});
