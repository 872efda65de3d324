import { Stack, Validations } from "aws-cdk-lib";
import type * as logs from "aws-cdk-lib/aws-logs";
import type { IConstruct } from "constructs";
import type { FargateBroker } from "./fargate-service.ts";
import type { LambdaBroker } from "./lambda-service.ts";
import type { BrokerSecrets } from "./secrets.ts";

/**
 * cdk-nag AwsSolutions findings this design accepts, each with its reason. Everything else is fixed in the
 * constructs (flow logs, ALB access logs, Container Insights, key rotation, SSL-only topic, API access logs,
 * non-default Redis port), and any new finding fails the synth until it is fixed or argued here.
 */
const ack = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${id}`, reason });

/** The wildcard in the audit-trail statement, as cdk-nag spells it: `<group>:*`, the group's streams. */
function auditStreamsFinding(auditLogGroup: logs.LogGroup): string {
  const stack = Stack.of(auditLogGroup);
  const logicalId = stack.getLogicalId(auditLogGroup.node.defaultChild as logs.CfnLogGroup);
  return `IAM5[Resource::arn:<AWS::Partition>:logs:${stack.region}:<AWS::AccountId>:log-group:<${logicalId}>:*]`;
}

/** Findings both variants share: secrets whose values come from GitHub, Redis without AUTH, the audit streams. */
export function acknowledgeSharedFindings(parts: {
  secrets: BrokerSecrets;
  auditLogGroup: logs.LogGroup;
  brokerRole: IConstruct;
  redis?: IConstruct;
}): void {
  for (const secret of parts.secrets.all) {
    ack(
      secret,
      "SMG4",
      "No rotation Lambda can rotate these: GitHub issues the webhook and OAuth client secrets, and API keys " +
        "are issued to service accounts. They are rotated with `repogate setup` and the broker follows " +
        "AWSPENDING/AWSCURRENT without a restart.",
    );
  }
  ack(
    parts.brokerRole,
    auditStreamsFinding(parts.auditLogGroup),
    "Streams of the audit log group only: the CloudWatch sink names its stream per task at run time " +
      "(repogate-<hostname>), so the stream part of the ARN cannot be fixed in advance.",
  );
  if (parts.redis) {
    ack(
      parts.redis,
      "AEC6",
      "Redis holds only rate-limit counters keyed by hashed principals; it is reachable only from the broker's " +
        "security group, in private subnets, over TLS. An AUTH token would have to sit in the broker's " +
        "plain-text settings (the Lambda variant has no secret injection), adding no protection.",
    );
  }
}

/** Fargate: the public ALB, plain settings in the task definition, ECR's account-wide auth call. */
export function acknowledgeFargateFindings(broker: FargateBroker): void {
  ack(
    broker.node.findChild("AlbSecurityGroup"),
    "EC23",
    "The internet-facing ALB must accept MCP clients from anywhere on 443 (and 80, only to redirect to HTTPS); " +
      "WAF rate-limits per source IP in front of it, and the broker requires an SSO token on every call.",
  );
  ack(
    broker.taskDefinition,
    "ECS2",
    "The environment holds settings only (URLs, ARNs, the key alias); every secret is read at run time from " +
      "Secrets Manager by ARN, and the App key never leaves KMS.",
  );
  ack(
    broker.taskDefinition.obtainExecutionRole(),
    "IAM5[Resource::*]",
    "ecr:GetAuthorizationToken has no resource-level permissions; the image pull itself is limited to the " +
      "repogate repository.",
  );
  ack(
    broker.node.findChild("AccessLogs"),
    "S1",
    "This bucket receives the ALB's access logs; logging access to the log bucket into another bucket would " +
      "recurse. It blocks public access and enforces TLS.",
  );
}

/** Lambda: its runtime, the VPC attachment calls, the API that authenticates in the broker. */
export function acknowledgeLambdaFindings(broker: LambdaBroker): void {
  ack(
    broker.function,
    "L1",
    "Node.js 24 is the runtime the broker is built and tested for (the container image and the CI leg); a " +
      "newer runtime follows once CI runs on it.",
  );
  ack(
    broker.role,
    "IAM5[Resource::*]",
    "Lambda's VPC attachment (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, " +
      "Assign/UnassignPrivateIpAddresses, DescribeSubnets) supports no resource-level permissions; it is " +
      "what AWSLambdaVPCAccessExecutionRole grants, without its account-wide CloudWatch Logs rights.",
  );
  ack(
    broker.node.findChild("Api"),
    "APIG4",
    "The broker authenticates every MCP request itself (OIDC access token from the company IdP or an API " +
      "key, RFC 9728 metadata for clients); an API Gateway authorizer cannot answer MCP clients' OAuth " +
      "discovery, and /healthz and /.well-known must stay open.",
  );
}
