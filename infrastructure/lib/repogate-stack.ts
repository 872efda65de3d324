import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import {
  acknowledgeFargateFindings,
  acknowledgeLambdaFindings,
  acknowledgeSharedFindings,
} from "./acknowledgements.ts";
import { brokerAlarms } from "./alarm-catalog.ts";
import { BrokerAlarms } from "./alarms.ts";
import { brokerEnvironment } from "./broker-environment.ts";
import { BROKER_NAMESPACE } from "./broker-metrics.ts";
import { grantBrokerPermissions } from "./broker-permissions.ts";
import { BrokerDashboard } from "./dashboard.ts";
import { EdgeWaf } from "./edge-waf.ts";
import { CONTAINER_PORT, FargateBroker, IMAGE_POLICY_FILE } from "./fargate-service.ts";
import { BrokerKeys } from "./keys.ts";
import { LAMBDA_POLICY_FILE, LambdaBroker } from "./lambda-service.ts";
import { BrokerLogGroups } from "./log-groups.ts";
import { BrokerNetwork } from "./network.ts";
import { RateLimitRedis } from "./redis.ts";
import { BrokerSecrets } from "./secrets.ts";
import {
  DEPLOYED_POLICY_FILE,
  type DeploymentSettings,
  needsSharedRateLimits,
  publicUrls,
} from "./settings.ts";

/** Which way the broker runs. */
export type BrokerVariant = "fargate" | "lambda";

export interface RepogateStackProps extends StackProps {
  variant: BrokerVariant;
  settings: DeploymentSettings;
  /** The repository checkout (the Lambda bundle starts at src/lambda.ts, the policy path is relative to it). */
  repositoryRoot: string;
}

/**
 * One complete deployment of the broker: network with a fixed egress IP, keys, secrets, log groups, Redis
 * when several brokers share rate limits, the broker itself (Fargate + ALB + WAF, or Lambda + HTTP API),
 * alarms and the dashboard.
 */
export class RepogateStack extends Stack {
  readonly keys: BrokerKeys;
  readonly secrets: BrokerSecrets;
  readonly logGroups: BrokerLogGroups;
  readonly alarms: BrokerAlarms;

  constructor(scope: Construct, id: string, props: RepogateStackProps) {
    super(scope, id, props);
    const { settings, variant } = props;
    const network = new BrokerNetwork(this, "Network", {
      availabilityZones: settings.availabilityZones ?? [`${settings.region}a`, `${settings.region}b`],
    });
    this.keys = new BrokerKeys(this, "Keys");
    this.secrets = new BrokerSecrets(this, "Secrets", { encryptionKey: this.keys.dataKey });
    this.logGroups = new BrokerLogGroups(this, "Logs", {
      encryptionKey: this.keys.dataKey,
      auditRetentionDays: settings.auditRetentionDays,
      appLogRetentionDays: settings.appLogRetentionDays,
    });

    const shared = needsSharedRateLimits(variant, settings.desiredCount);
    const runtime = {
      region: this.region,
      auditLogGroup: this.logGroups.audit,
      secrets: this.secrets,
    };
    let redis: RateLimitRedis | undefined;
    let brokerRole: iam.IRole;
    if (variant === "fargate") {
      // Redis admits the tasks' security group, so the service comes first and its settings follow.
      const broker = new FargateBroker(this, "Broker", {
        vpc: network.vpc,
        certificateArn: settings.certificateArn,
        repositoryName: settings.imageRepositoryName,
        imageTag: settings.imageTag,
        desiredCount: settings.desiredCount,
        cpu: settings.cpu,
        memoryMiB: settings.memoryMiB,
        appLogGroup: this.logGroups.app,
      });
      redis = shared ? this.redisFor(network.vpc, broker.taskSecurityGroup, settings) : undefined;
      const environment = brokerEnvironment(settings, {
        ...runtime,
        policyFile: IMAGE_POLICY_FILE,
        trustProxyHops: 1, // the ALB appends the caller's address to X-Forwarded-For
        ...(redis ? { redisUrl: redis.url } : {}),
        extra: { REPOGATE_HOST: "0.0.0.0", REPOGATE_PORT: String(CONTAINER_PORT) },
      });
      for (const [name, value] of Object.entries(environment)) {
        broker.taskDefinition.defaultContainer?.addEnvironment(name, value);
      }
      grantBrokerPermissions(broker.taskDefinition.taskRole, this.brokerResources());
      new EdgeWaf(this, "Waf", {
        loadBalancerArn: broker.loadBalancer.loadBalancerArn,
        requestsPer5Min: settings.wafRequestsPer5Min,
      });
      acknowledgeFargateFindings(broker);
      brokerRole = broker.taskDefinition.taskRole;
    } else {
      const broker = new LambdaBroker(this, "Broker", {
        repositoryRoot: props.repositoryRoot,
        policyFile: DEPLOYED_POLICY_FILE,
        vpc: network.vpc,
        domainName: settings.domainName,
        certificateArn: settings.certificateArn,
        memoryMiB: settings.lambdaMemoryMiB,
        rateLimitPerSecond: settings.apiRateLimitPerSecond,
        burstLimit: settings.apiBurstLimit,
        appLogGroup: this.logGroups.app,
        encryptionKey: this.keys.dataKey,
      });
      redis = shared ? this.redisFor(network.vpc, broker.securityGroup, settings) : undefined;
      const environment = brokerEnvironment(settings, {
        ...runtime,
        policyFile: LAMBDA_POLICY_FILE,
        trustProxyHops: 0, // API Gateway hands over the caller's address itself
        ...(redis ? { redisUrl: redis.url } : {}),
      });
      for (const [name, value] of Object.entries(environment)) broker.function.addEnvironment(name, value);
      grantBrokerPermissions(broker.role, this.brokerResources());
      acknowledgeLambdaFindings(broker);
      brokerRole = broker.role;
    }

    const specs = brokerAlarms({ appKeyMaxAgeDays: settings.appKeyMaxAgeDays }).filter(
      (spec) => !spec.variants || spec.variants.includes(variant),
    );
    this.alarms = new BrokerAlarms(this, "Alarms", {
      specs,
      ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
      encryptionKey: this.keys.dataKey,
      namespace: BROKER_NAMESPACE,
    });
    new BrokerDashboard(this, "Dashboard", {
      dashboardName: `${this.stackName}`,
      namespace: BROKER_NAMESPACE,
      auditLogGroup: this.logGroups.audit,
    });
    new CfnOutput(this, "McpUrl", {
      value: publicUrls(settings).mcp,
      description: "The MCP endpoint for clients",
    });
    new CfnOutput(this, "GitHubAppKeyId", {
      value: this.keys.appKey.keyId,
      description: "KMS key awaiting the App's private key: repogate setup github-app --kms-key <this>",
    });
    new CfnOutput(this, "AuditLogGroupName", { value: this.logGroups.audit.logGroupName });
    acknowledgeSharedFindings({
      secrets: this.secrets,
      auditLogGroup: this.logGroups.audit,
      brokerRole,
      ...(redis ? { redis } : {}),
    });
  }

  private brokerResources() {
    return {
      appKey: this.keys.appKey,
      dataKey: this.keys.dataKey,
      secrets: this.secrets.all,
      auditLogGroup: this.logGroups.audit,
    };
  }

  private redisFor(vpc: ec2.IVpc, clients: ec2.ISecurityGroup, settings: DeploymentSettings): RateLimitRedis {
    return new RateLimitRedis(this, "Redis", {
      vpc,
      clients,
      nodeType: settings.redisNodeType,
      encryptionKey: this.keys.dataKey,
    });
  }
}
