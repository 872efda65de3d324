/** Synthesizes the real app (lib/app.ts) with the checked-in context, once per test file. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { buildRepogateApp, type RepogateApp } from "../lib/app.ts";

export const REPOSITORY_ROOT = path.resolve(import.meta.dirname, "../..");

/** The context in infrastructure/cdk.json: what `npm run synth` uses. */
export const CHECKED_IN_CONTEXT = (
  JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, "infrastructure/cdk.json"), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

export interface SynthesizedApp extends RepogateApp {
  templates: { registry: Template; fargate: Template; lambda: Template };
  outdir: string;
}

/**
 * Builds and synthesizes every stack. CloudFormation's own schema validation is off (5-10 s per synth; `npm run
 * synth` keeps it); cdk-nag still runs. Bundling the Lambda is skipped unless asked (`bundle: true`).
 */
export function synthesize(
  options: { context?: Record<string, unknown>; bundle?: boolean } = {},
): SynthesizedApp {
  const outdir = mkdtempSync(path.join(tmpdir(), "repogate-cdk-"));
  const built = buildRepogateApp({
    repositoryRoot: REPOSITORY_ROOT,
    appProps: {
      outdir,
      builtinCloudFormationValidation: false,
      context: {
        ...CHECKED_IN_CONTEXT,
        ...(options.bundle ? {} : { "aws:cdk:bundling-stacks": [] }),
        ...options.context,
      },
    },
  });
  return {
    ...built,
    outdir,
    templates: {
      registry: Template.fromStack(built.registry),
      fargate: Template.fromStack(built.fargate),
      lambda: Template.fromStack(built.lambda),
    },
  };
}
