import { CfnOutput, RemovalPolicy } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/**
 * The VPC the broker runs in: public subnets for the load balancer and one NAT gateway, private subnets for
 * the broker and Redis. All outbound traffic leaves through the NAT's Elastic IP, which is retained when the
 * stack goes so the address in the GitHub org's IP allow list stays valid.
 */
export class BrokerNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly egressIp: ec2.CfnEIP;

  constructor(scope: Construct, id: string, props: { availabilityZones: string[] }) {
    super(scope, id);
    this.egressIp = new ec2.CfnEIP(this, "EgressIp", { domain: "vpc" });
    this.egressIp.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.vpc = new ec2.Vpc(this, "Vpc", {
      availabilityZones: props.availabilityZones,
      // One gateway: one egress address for GitHub's allow list (a second AZ's NAT would add a second IP).
      natGateways: 1,
      natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: [this.egressIp.attrAllocationId] }),
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: "private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      restrictDefaultSecurityGroup: true,
    });
    this.vpc.addFlowLog("FlowLog", {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, "FlowLogs", {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    new CfnOutput(scope, "EgressIpAddress", {
      value: this.egressIp.ref,
      description: "Outbound address of every GitHub call: add it to the GitHub org's IP allow list",
    });
  }
}
