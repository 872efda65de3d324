import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";

/**
 * The edge rate limit in front of the load balancer: a rate-based rule per source IP and AWS's common rule set.
 * The broker still limits per principal and per failed sign-in; this stops floods before they reach it.
 */
export class EdgeWaf extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: { loadBalancerArn: string; requestsPer5Min: number }) {
    super(scope, id);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    this.webAcl = new wafv2.CfnWebACL(this, "WebAcl", {
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("repogate-web-acl"),
      rules: [
        {
          name: "RateLimitPerSourceIp",
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.requestsPer5Min,
              aggregateKeyType: "IP",
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility("repogate-rate-limit-per-ip"),
        },
        {
          name: "AWSManagedRulesCommonRuleSet",
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: "AWS",
              name: "AWSManagedRulesCommonRuleSet",
              // The 8 KB body rule would refuse legitimate MCP batches; the broker caps bodies itself
              // (http.maxBodyBytes, 413).
              ruleActionOverrides: [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }],
            },
          },
          visibilityConfig: visibility("repogate-common-rule-set"),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, "LoadBalancer", {
      resourceArn: props.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
