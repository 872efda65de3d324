import { CfnOutput, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

/** The port the broker listens on inside the task (`repogate serve`, REPOGATE_PORT). */
export const CONTAINER_PORT = 8700;
/** Where the image keeps the policy (scripts/build-image.mjs copies it there). */
export const IMAGE_POLICY_FILE = "/app/policy.yaml";

export interface FargateBrokerProps {
  vpc: ec2.IVpc;
  certificateArn: string;
  repositoryName: string;
  imageTag: string;
  desiredCount: number;
  cpu: number;
  memoryMiB: number;
  appLogGroup: logs.ILogGroup;
}

/**
 * The broker on ECS Fargate behind an internet-facing ALB: HTTPS with the admin's certificate, HTTP
 * redirected to HTTPS, tasks in private subnets reachable only from the ALB on the container port, health
 * checked on /healthz, deployments rolled back by the circuit breaker. The container runs as a non-root user
 * on a read-only root filesystem (writes go to a /tmp volume) and gets 30 s to drain on SIGTERM.
 */
export class FargateBroker extends Construct {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly taskSecurityGroup: ec2.SecurityGroup;
  readonly taskDefinition: ecs.FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: FargateBrokerProps) {
    super(scope, id);
    const cluster = new ecs.Cluster(this, "Cluster", {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, "Task", {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      volumes: [{ name: "tmp" }],
    });
    const container = this.taskDefinition.addContainer("broker", {
      image: ecs.ContainerImage.fromEcrRepository(
        ecr.Repository.fromRepositoryName(this, "Repository", props.repositoryName),
        props.imageTag,
      ),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: "broker", logGroup: props.appLogGroup }),
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      readonlyRootFilesystem: true,
      user: "1000:1000",
      // The broker lets in-flight calls finish for 20 s, then revokes and flushes; SIGKILL comes after 30 s.
      stopTimeout: Duration.seconds(30),
      healthCheck: {
        command: [
          "CMD",
          "node",
          "-e",
          `fetch("http://127.0.0.1:${CONTAINER_PORT}/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
    });
    container.addMountPoints({ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false });

    const albSecurityGroup = new ec2.SecurityGroup(this, "AlbSecurityGroup", {
      vpc: props.vpc,
      description: "repogate ALB: HTTPS (and HTTP, redirected) from anywhere",
      allowAllOutbound: false,
    });
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "HTTPS from MCP clients");
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), "HTTP, redirected to HTTPS");
    this.taskSecurityGroup = new ec2.SecurityGroup(this, "TaskSecurityGroup", {
      vpc: props.vpc,
      description: "repogate tasks: only the ALB may connect, on the container port",
      // GitHub, the IdP's JWKS and AWS APIs over HTTPS through the NAT, Redis inside the VPC.
      allowAllOutbound: true,
    });
    this.taskSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(CONTAINER_PORT), "ALB to broker");
    albSecurityGroup.addEgressRule(this.taskSecurityGroup, ec2.Port.tcp(CONTAINER_PORT), "ALB to broker");

    this.service = new ecs.FargateService(this, "Service", {
      cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.taskSecurityGroup],
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
    });

    const accessLogs = new s3.Bucket(this, "AccessLogs", {
      encryption: s3.BucketEncryption.S3_MANAGED, // ALB log delivery supports SSE-S3 only
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(400) }],
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, "LoadBalancer", {
      vpc: props.vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(accessLogs, "alb");

    const https = this.loadBalancer.addListener("Https", {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });
    https.addTargets("Broker", {
      port: CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      healthCheck: { path: "/healthz", healthyHttpCodes: "200", interval: Duration.seconds(15) },
      // Shorter than the broker's 20 s in-flight allowance: the ALB stops routing first, then the task drains.
      deregistrationDelay: Duration.seconds(15),
    });
    this.loadBalancer.addRedirect({
      sourcePort: 80,
      sourceProtocol: elbv2.ApplicationProtocol.HTTP,
      targetPort: 443,
      targetProtocol: elbv2.ApplicationProtocol.HTTPS,
      open: false,
    });

    new CfnOutput(scope, "LoadBalancerDnsName", {
      value: this.loadBalancer.loadBalancerDnsName,
      description: "Point the broker's DNS name (CNAME or alias) at this",
    });
  }
}
