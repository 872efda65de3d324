import path from "node:path";
import { CfnOutput, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** Where the bundle keeps the policy (copied next to index.mjs at synth). */
export const LAMBDA_POLICY_FILE = "/var/task/policy.yaml";

export interface LambdaBrokerProps {
  repositoryRoot: string;
  policyFile: string;
  vpc: ec2.IVpc;
  domainName: string;
  certificateArn: string;
  memoryMiB: number;
  rateLimitPerSecond: number;
  burstLimit: number;
  appLogGroup: logs.ILogGroup;
  encryptionKey: kms.IKey;
}

/**
 * The same broker as a Lambda function (src/lambda.ts, bundled by the local esbuild) behind an HTTP API on the
 * admin's domain, throttled at the stage. The function sits in the private subnets, so its GitHub calls leave
 * through the NAT's fixed address like the Fargate tasks'. Its role writes only to the app log group.
 */
export class LambdaBroker extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LambdaBrokerProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: props.vpc,
      description: "repogate Lambda: no inbound; HTTPS out through the NAT",
      allowAllOutbound: true,
    });
    // Own role instead of the AWS managed basic-execution policy, which may write to every log group.
    this.role = new iam.Role(this, "Role", { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteOwnAppLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [props.appLogGroup.logGroupArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "AttachToTheVpc",
        // Lambda's VPC attachment API has no resource-level permissions for these actions.
        actions: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        resources: ["*"],
      }),
    );

    const policySource = path.resolve(props.repositoryRoot, props.policyFile);
    this.function = new nodejs.NodejsFunction(this, "Function", {
      entry: path.join(props.repositoryRoot, "src/lambda.ts"),
      handler: "handler",
      projectRoot: props.repositoryRoot,
      depsLockFilePath: path.join(props.repositoryRoot, "package-lock.json"),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      memorySize: props.memoryMiB,
      // API Gateway gives up after 30 s; the broker's own upstream timeouts are shorter.
      timeout: Duration.seconds(30),
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      logGroup: props.appLogGroup,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: "node24",
        mainFields: ["module", "main"],
        // Bundle the AWS SDK too: the versions the broker was tested with, not the runtime's.
        externalModules: [],
        // CommonJS dependencies call require(); an ES module bundle has none of its own.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        sourceMap: true,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) => [`cp "${policySource}" "${output}/policy.yaml"`],
        },
      },
    });

    const accessLogs = new logs.LogGroup(this, "AccessLogs", {
      encryptionKey: props.encryptionKey,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const domain = new apigwv2.DomainName(this, "Domain", {
      domainName: props.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, "Certificate", props.certificateArn),
    });
    const api = new apigwv2.HttpApi(this, "Api", {
      description: "repogate MCP broker",
      defaultIntegration: new HttpLambdaIntegration("Broker", this.function),
      createDefaultStage: false,
      // Only the admin's domain: the broker checks Host against its public URL.
      disableExecuteApiEndpoint: true,
    });
    new apigwv2.HttpStage(this, "Stage", {
      httpApi: api,
      stageName: "$default",
      autoDeploy: true,
      domainMapping: { domainName: domain },
      throttle: { rateLimit: props.rateLimitPerSecond, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });

    new CfnOutput(scope, "ApiDomainTarget", {
      value: domain.regionalDomainName,
      description: "Point the broker's DNS name (CNAME or alias) at this",
    });
  }
}
