import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ImageRegistryStack } from "./image-registry-stack.ts";
import { RepogateStack } from "./repogate-stack.ts";
import { type DeploymentSettings, parseDeploymentSettings, SETTING_KEYS } from "./settings.ts";

/** The stacks an admin deploys: the image registry first, then one of the two broker variants. */
export interface RepogateApp {
  app: App;
  settings: DeploymentSettings;
  registry: ImageRegistryStack;
  fargate: RepogateStack;
  lambda: RepogateStack;
}

/** Settings from the app's context (`cdk.json`, `-c key=value`, or `context` passed in tests). */
export function settingsFromContext(app: App): DeploymentSettings {
  return parseDeploymentSettings(
    Object.fromEntries(SETTING_KEYS.map((key) => [key, app.node.tryGetContext(key)])),
  );
}

/**
 * Builds every stack with cdk-nag's AwsSolutions pack registered: any finding that is not acknowledged (with its
 * reason, in acknowledgements.ts) fails the synth.
 */
export function buildRepogateApp(options: { repositoryRoot: string; appProps?: AppProps }): RepogateApp {
  const app = new App(options.appProps);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  const settings = settingsFromContext(app);
  const env = { region: settings.region, ...(settings.account ? { account: settings.account } : {}) };
  const registry = new ImageRegistryStack(app, "RepogateImages", {
    env,
    repositoryName: settings.imageRepositoryName,
    description: "repogate: container image repository (immutable tags)",
  });
  const common = { env, settings, repositoryRoot: options.repositoryRoot };
  const fargate = new RepogateStack(app, "RepogateFargate", {
    ...common,
    variant: "fargate",
    description: "repogate MCP broker on ECS Fargate behind an ALB with WAF",
  });
  const lambda = new RepogateStack(app, "RepogateLambda", {
    ...common,
    variant: "lambda",
    description: "repogate MCP broker on AWS Lambda behind an HTTP API",
  });
  return { app, settings, registry, fargate, lambda };
}
