/** cdk-nag AwsSolutions: no finding left unacknowledged, in every stack (cdk-nag 3: validateScope, not Annotations). */
import { App, Stack } from "aws-cdk-lib";
import * as sns from "aws-cdk-lib/aws-sns";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { synthesize } from "./synthesize.ts";

describe("cdk-nag AwsSolutions", () => {
  const synthesized = synthesize();

  it("has no unacknowledged finding in any stack", () => {
    const report = new AwsSolutionsChecks(undefined).validateScope(synthesized.app);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it("still finds what it should: an unacknowledged finding on a bare stack is reported", () => {
    const app = new App();
    new sns.Topic(new Stack(app, "Bare"), "Topic");
    const report = new AwsSolutionsChecks(undefined).validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toContain("AwsSolutions-SNS3");
  });

  it("needs no lookups: synthesizes offline with nothing missing from the context", () => {
    const assembly = synthesized.app.synth();
    expect(assembly.manifest.missing).toBeUndefined();
    expect(assembly.stacks.map((stack) => stack.stackName).sort()).toEqual([
      "RepogateFargate",
      "RepogateImages",
      "RepogateLambda",
    ]);
  });
});
