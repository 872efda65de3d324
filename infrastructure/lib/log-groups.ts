import { RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/**
 * The audit trail's log group (kept when the stack is deleted: it is the security team's record) and the
 * broker's own log group (pino logs and the EMF metric lines), both encrypted with the data key.
 */
export class BrokerLogGroups extends Construct {
  readonly audit: logs.LogGroup;
  readonly app: logs.LogGroup;

  constructor(
    scope: Construct,
    id: string,
    props: { encryptionKey: kms.IKey; auditRetentionDays: number; appLogRetentionDays: number },
  ) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.audit = new logs.LogGroup(this, "Audit", {
      logGroupName: `/${stackName}/audit`,
      encryptionKey: props.encryptionKey,
      retention: props.auditRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.app = new logs.LogGroup(this, "App", {
      logGroupName: `/${stackName}/app`,
      encryptionKey: props.encryptionKey,
      retention: props.appLogRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
