import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elasticache from "aws-cdk-lib/aws-elasticache";
import type * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

/** Not Redis's default port (cdk-nag AEC5: a default port is the first thing a scanner tries). */
export const REDIS_PORT = 6380;

/**
 * Shared rate-limit counters for more than one broker: a two-node Redis replication group in the private
 * subnets, TLS in transit, encrypted at rest, reachable only from the broker's security group.
 */
export class RateLimitRedis extends Construct {
  readonly url: string;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(
    scope: Construct,
    id: string,
    props: { vpc: ec2.IVpc; clients: ec2.ISecurityGroup; nodeType: string; encryptionKey: kms.IKey },
  ) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: props.vpc,
      description: "repogate Redis: only the broker may connect",
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(props.clients, ec2.Port.tcp(REDIS_PORT), "broker to Redis (TLS)");

    const subnets = new elasticache.CfnSubnetGroup(this, "Subnets", {
      description: "repogate Redis private subnets",
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    const group = new elasticache.CfnReplicationGroup(this, "ReplicationGroup", {
      replicationGroupDescription: "repogate rate-limit counters",
      engine: "redis",
      cacheNodeType: props.nodeType,
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      port: REDIS_PORT,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      atRestEncryptionEnabled: true,
      kmsKeyId: props.encryptionKey.keyArn,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
    });
    this.url = `rediss://${group.attrPrimaryEndPointAddress}:${REDIS_PORT}`;
  }
}
