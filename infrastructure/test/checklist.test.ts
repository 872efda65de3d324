/**
 * The seed's ten security checklist items, each mapped to the resources that implement it and asserted on the
 * synthesized templates (docs/deploy.md has the same table).
 */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { synthesize } from "./synthesize.ts";

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }
>;

const resources = (template: Template) => template.toJSON().Resources as Resources;
const onlyOne = (template: Template, type: string, props: Record<string, unknown> = {}): string => {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found, `${type} ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as string;
};
/** The statements of every policy attached to a role. */
function statementsOf(
  template: Template,
  roleId: string,
): { Sid?: string; Action: unknown; Resource: unknown }[] {
  return Object.values(resources(template))
    .filter((r) => r.Type === "AWS::IAM::Policy")
    .filter((r) => JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: never[] }).Statement);
}
const asList = (value: unknown) => (Array.isArray(value) ? value : [value]);

describe("security checklist", () => {
  const { templates } = synthesize();
  const { fargate, lambda } = templates;
  const taskRoleId = () => {
    const task = Object.values(fargate.findResources("AWS::ECS::TaskDefinition"))[0] as {
      Properties: { TaskRoleArn: { "Fn::GetAtt": [string, string] } };
    };
    return task.Properties.TaskRoleArn["Fn::GetAtt"][0];
  };
  const containerOf = () =>
    (
      Object.values(fargate.findResources("AWS::ECS::TaskDefinition"))[0] as {
        Properties: { ContainerDefinitions: Record<string, unknown>[] };
      }
    ).Properties.ContainerDefinitions[0] as Record<string, unknown> & {
      Environment: { Name: string; Value: unknown }[];
    };
  const env = (name: string) => containerOf().Environment.find((e) => e.Name === name)?.Value;

  it("1. the App private key lives in KMS: imported RSA_2048 signing key under alias/repogate-github-app, retained", () => {
    for (const template of [fargate, lambda]) {
      const keyId = onlyOne(template, "AWS::KMS::Key", {
        KeySpec: "RSA_2048",
        KeyUsage: "SIGN_VERIFY",
        Origin: "EXTERNAL",
      });
      expect(resources(template)[keyId]?.DeletionPolicy).toBe("Retain");
      template.hasResourceProperties("AWS::KMS::Alias", {
        AliasName: "alias/repogate-github-app",
        TargetKeyId: { "Fn::GetAtt": [keyId, "Arn"] },
      });
    }
    expect(env("REPOGATE_KMS_KEY_ID")).toBe("alias/repogate-github-app");
  });

  it("2. least privilege: the broker's role may only sign with the App key, read its three secrets, write its audit group", () => {
    const appKeyId = onlyOne(fargate, "AWS::KMS::Key", { KeyUsage: "SIGN_VERIFY" });
    const statements = statementsOf(fargate, taskRoleId());
    const onAppKey = statements.filter((s) => JSON.stringify(s.Resource).includes(appKeyId));
    expect(onAppKey).toHaveLength(1);
    expect(asList(onAppKey[0]?.Action).sort()).toEqual(["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]);
    const secretIds = Object.keys(fargate.findResources("AWS::SecretsManager::Secret")).sort();
    const reads = statements.filter((s) => asList(s.Action).includes("secretsmanager:GetSecretValue"));
    expect(reads).toHaveLength(1);
    expect(
      asList(reads[0]?.Resource)
        .map((r) => (r as { Ref: string }).Ref)
        .sort(),
    ).toEqual(secretIds);
    // No wildcard action, and no resource "*" at all in the broker's own policy.
    for (const statement of statements) {
      for (const action of asList(statement.Action)) expect(String(action)).not.toMatch(/\*$/);
      expect(asList(statement.Resource)).not.toContain("*");
    }
    const logsStatements = statements.filter((s) =>
      asList(s.Action).some((a) => String(a).startsWith("logs:")),
    );
    const auditId = onlyOne(fargate, "AWS::Logs::LogGroup", { RetentionInDays: 400 });
    expect(logsStatements).toHaveLength(1);
    expect(JSON.stringify(logsStatements[0]?.Resource)).toContain(auditId);
    expect(JSON.stringify(logsStatements[0]?.Resource)).not.toMatch(/log-group:\*/);
  });

  it("3. secrets in Secrets Manager, encrypted with the rotated data key, referenced by ARN only", () => {
    const dataKeyId = onlyOne(fargate, "AWS::KMS::Key", { EnableKeyRotation: true });
    const secrets = fargate.findResources("AWS::SecretsManager::Secret", {
      Properties: { KmsKeyId: { "Fn::GetAtt": [dataKeyId, "Arn"] } },
    });
    expect(Object.keys(secrets)).toHaveLength(3);
    expect(env("REPOGATE_SECRETS_STORE")).toBe("secretsmanager");
    expect(Object.keys(secrets)).toContainEqual((env("REPOGATE_API_KEYS_SECRET") as { Ref: string }).Ref);
    expect(Object.keys(secrets)).toContainEqual((env("REPOGATE_WEBHOOK_SECRET_NAME") as { Ref: string }).Ref);
  });

  it("4. the audit trail goes to CloudWatch Logs: retained, KMS-encrypted, 400 days by default (from context)", () => {
    const dataKeyId = onlyOne(fargate, "AWS::KMS::Key", { EnableKeyRotation: true });
    const auditId = onlyOne(fargate, "AWS::Logs::LogGroup", {
      LogGroupName: "/RepogateFargate/audit",
      RetentionInDays: 400,
      KmsKeyId: { "Fn::GetAtt": [dataKeyId, "Arn"] },
    });
    expect(resources(fargate)[auditId]?.DeletionPolicy).toBe("Retain");
    expect(env("REPOGATE_AUDIT_SINK")).toBe("cloudwatch");
    expect(env("REPOGATE_AUDIT_LOG_GROUP")).toEqual({ Ref: auditId });
    // The key policy lets CloudWatch Logs use the key for this account's log groups only.
    fargate.hasResourceProperties("AWS::KMS::Key", {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "logs.us-east-1.amazonaws.com" },
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": Match.anyValue() } },
          }),
        ]),
      },
    });
    const longer = synthesize({ context: { auditRetentionDays: "731" } }).templates.fargate;
    longer.hasResourceProperties("AWS::Logs::LogGroup", {
      LogGroupName: "/RepogateFargate/audit",
      RetentionInDays: 731,
    });
  });

  it("5. network isolation: tasks in private subnets, reachable only from the ALB; Redis only from the tasks", () => {
    fargate.hasResourceProperties("AWS::ECS::Service", {
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: "DISABLED" } },
    });
    const service = Object.values(fargate.findResources("AWS::ECS::Service"))[0] as {
      Properties: { NetworkConfiguration: { AwsvpcConfiguration: { Subnets: { Ref: string }[] } } };
    };
    for (const subnet of service.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets) {
      expect(subnet.Ref).toMatch(/private/);
    }
    const taskSg = onlyOne(fargate, "AWS::EC2::SecurityGroup", {
      GroupDescription: Match.stringLikeRegexp("only the ALB"),
    });
    const albSg = onlyOne(fargate, "AWS::EC2::SecurityGroup", {
      GroupDescription: Match.stringLikeRegexp("^repogate ALB"),
    });
    const redisSg = onlyOne(fargate, "AWS::EC2::SecurityGroup", {
      GroupDescription: Match.stringLikeRegexp("Redis"),
    });
    const ingress = Object.values(fargate.findResources("AWS::EC2::SecurityGroupIngress")).map(
      (r) => r.Properties,
    );
    expect(ingress.filter((i) => JSON.stringify(i.GroupId).includes(taskSg))).toEqual([
      expect.objectContaining({
        FromPort: 8700,
        ToPort: 8700,
        SourceSecurityGroupId: { "Fn::GetAtt": [albSg, "GroupId"] },
      }),
    ]);
    expect(ingress.filter((i) => JSON.stringify(i.GroupId).includes(redisSg))).toEqual([
      expect.objectContaining({
        FromPort: 6380,
        ToPort: 6380,
        SourceSecurityGroupId: { "Fn::GetAtt": [taskSg, "GroupId"] },
      }),
    ]);
    fargate.hasResourceProperties("AWS::ElastiCache::ReplicationGroup", {
      SecurityGroupIds: [{ "Fn::GetAtt": [redisSg, "GroupId"] }],
    });
  });

  it("6. TLS in transit: HTTPS with the context's certificate, HTTP redirected, Redis TLS, SSL-only alarm topic", () => {
    fargate.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 443,
      Protocol: "HTTPS",
      Certificates: [{ CertificateArn: Match.stringLikeRegexp("^arn:aws:acm:") }],
      SslPolicy: Match.stringLikeRegexp("TLS13"),
    });
    fargate.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 80,
      DefaultActions: [
        { Type: "redirect", RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" } },
      ],
    });
    fargate.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      HealthCheckPath: "/healthz",
      Port: 8700,
    });
    for (const template of [fargate, lambda]) {
      template.hasResourceProperties("AWS::ElastiCache::ReplicationGroup", {
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
      });
      template.hasResourceProperties("AWS::SNS::TopicPolicy", {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    }
    lambda.hasResourceProperties("AWS::ApiGatewayV2::DomainName", {
      DomainName: "repogate.example.com",
      DomainNameConfigurations: [{ CertificateArn: Match.stringLikeRegexp("^arn:aws:acm:") }],
    });
  });

  it("7. API Gateway rate limit: WAF per-IP rate rule + AWS common rules on the ALB; HTTP API stage throttling", () => {
    const acl = onlyOne(fargate, "AWS::WAFv2::WebACL", {
      Scope: "REGIONAL",
      Rules: Match.arrayWith([
        Match.objectLike({
          Action: { Block: {} },
          Statement: { RateBasedStatement: { AggregateKeyType: "IP", Limit: 1500 } },
        }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" },
          },
        }),
      ]),
    });
    const albId = onlyOne(fargate, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    fargate.hasResourceProperties("AWS::WAFv2::WebACLAssociation", {
      ResourceArn: { Ref: albId },
      WebACLArn: { "Fn::GetAtt": [acl, "Arn"] },
    });
    lambda.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    expect(env("REPOGATE_TRUST_PROXY_HOPS")).toBe("1");
  });

  it("8. one fixed egress IP for the GitHub org's allow list: retained EIP on the only NAT gateway, output", () => {
    for (const template of [fargate, lambda]) {
      const eip = onlyOne(template, "AWS::EC2::EIP");
      expect(resources(template)[eip]?.DeletionPolicy).toBe("Retain");
      expect(
        Object.values(template.findResources("AWS::EC2::NatGateway")).map((n) => n.Properties.AllocationId),
      ).toEqual([{ "Fn::GetAtt": [eip, "AllocationId"] }]);
      template.hasOutput("EgressIpAddress", { Value: { Ref: eip } });
    }
    // The Lambda variant leaves through the same NAT: it is attached to the private subnets.
    const fn = Object.values(
      lambda.findResources("AWS::Lambda::Function", { Properties: { Handler: "index.handler" } }),
    );
    expect(fn).toHaveLength(1);
    const subnets = (fn[0] as { Properties: { VpcConfig: { SubnetIds: { Ref: string }[] } } }).Properties
      .VpcConfig.SubnetIds;
    for (const subnet of subnets) expect(subnet.Ref).toMatch(/private/);
  });

  it("9. alarms for the four alert kinds notify the SNS topic, which mails the context's alarmEmail", () => {
    for (const template of [fargate, lambda]) {
      const topic = onlyOne(template, "AWS::SNS::Topic");
      template.hasResourceProperties("AWS::SNS::Subscription", {
        Protocol: "email",
        Endpoint: "security@example.com",
        TopicArn: { Ref: topic },
      });
      const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map((a) => a.Properties);
      const kinds = new Set(alarms.map((a) => /^\[([a-z-]+)\]/.exec(String(a.AlarmDescription))?.[1]));
      expect([...kinds].sort()).toEqual([
        "excessive-calls",
        "key-or-token-expiry",
        "system-errors",
        "unauthorized-access",
      ]);
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
    }
  });

  it("10. hardened runtime: read-only root fs, non-root user, rollback on failed deploys, keys with rotation", () => {
    expect(containerOf()).toMatchObject({ ReadonlyRootFilesystem: true, User: "1000:1000", StopTimeout: 30 });
    fargate.hasResourceProperties("AWS::ECS::Service", {
      DeploymentConfiguration: { DeploymentCircuitBreaker: { Enable: true, Rollback: true } },
    });
    // The service runs an image by immutable tag from the registry stack; it does not own the repository.
    expect(Object.keys(fargate.findResources("AWS::ECR::Repository"))).toEqual([]);
    templates.registry.hasResourceProperties("AWS::ECR::Repository", { ImageTagMutability: "IMMUTABLE" });
    expect(JSON.stringify(containerOf().Image)).toContain(":example");
    for (const template of [fargate, lambda]) {
      template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true, KeySpec: Match.absent() });
    }
  });
});
