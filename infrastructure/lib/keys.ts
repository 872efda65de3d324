import { RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

/** The alias repogate's KMS signer and `repogate setup` use for the GitHub App key. */
export const APP_KEY_ALIAS = "alias/repogate-github-app";

/**
 * The two customer-managed keys. The App key holds the GitHub App's private key, imported by
 * `repogate setup github-app` (origin EXTERNAL): it can only sign, and never leaves KMS. The data key (rotated
 * yearly by KMS) encrypts the audit and app logs, the secrets, Redis at rest and the alarm topic.
 */
export class BrokerKeys extends Construct {
  readonly appKey: kms.Key;
  readonly dataKey: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);

    this.appKey = new kms.Key(this, "GitHubAppKey", {
      description: "repogate: GitHub App private key (imported; signs App JWTs, RS256)",
      keySpec: kms.KeySpec.RSA_2048,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      alias: APP_KEY_ALIAS,
      // Deleting it would make the App unusable until a new key is generated on GitHub and imported.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Imported material: stays PendingImport until the admin imports the App PEM. No automatic rotation
    // exists for imported keys; rotation is `repogate setup rotate-key` (new key, alias moved).
    (this.appKey.node.defaultChild as kms.CfnKey).origin = "EXTERNAL";

    this.dataKey = new kms.Key(this, "DataKey", {
      description: "repogate: encrypts audit and app logs, secrets, Redis and the alarm topic",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Log groups encrypted with a customer key need the Logs service in the key policy, limited to this
    // account's log groups in this region.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchLogsEncryptsLogGroups",
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources: ["*"],
        conditions: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
    // CloudWatch alarms publish to the encrypted SNS topic.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublishToEncryptedTopic",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    );
  }
}
