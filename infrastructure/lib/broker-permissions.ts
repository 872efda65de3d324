import { ArnFormat } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";

/** What the broker's role needs, and nothing else: these ARNs only. */
export interface BrokerResources {
  appKey: kms.IKey;
  dataKey: kms.IKey;
  secrets: secretsmanager.ISecret[];
  auditLogGroup: logs.ILogGroup;
}

/** The only KMS actions the broker may perform on the App key: sign JWTs, and read the key for doctor/key age. */
export const APP_KEY_ACTIONS = ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"] as const;

/**
 * Grants the broker's runtime role (ECS task role or Lambda role) exactly what the broker calls: KMS Sign on
 * the App key, GetSecretValue on its three secrets (decrypting them through Secrets Manager only), and writing
 * the audit trail to its own log group (the CloudWatch sink creates its stream and reads the chain head).
 */
export function grantBrokerPermissions(role: iam.IRole, resources: BrokerResources): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: "SignAppJwtsWithTheAppKey",
      actions: [...APP_KEY_ACTIONS],
      resources: [resources.appKey.keyArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: "ReadBrokerSecrets",
      actions: ["secretsmanager:GetSecretValue"],
      resources: resources.secrets.map((secret) => secret.secretArn),
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: "DecryptSecretsThroughSecretsManager",
      actions: ["kms:Decrypt"],
      resources: [resources.dataKey.keyArn],
      conditions: {
        StringEquals: {
          "kms:ViaService": `secretsmanager.${resources.auditLogGroup.stack.region}.amazonaws.com`,
        },
      },
    }),
  );
  const group = resources.auditLogGroup;
  const groupArn = group.stack.formatArn({
    service: "logs",
    resource: "log-group",
    resourceName: group.logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: "WriteTheAuditTrail",
      actions: [
        // The sink asks for the group and its stream first and tolerates "already exists".
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        // After a restart it continues the hash chain from the stream's last event.
        "logs:GetLogEvents",
        "logs:DescribeLogStreams",
      ],
      // The group itself and its streams (`<group>:log-stream:<name>`), no other group.
      resources: [groupArn, `${groupArn}:*`],
    }),
  );
}
