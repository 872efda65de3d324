import { RemovalPolicy, SecretValue } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

/**
 * The broker's secrets, encrypted with the data key. Their values come from GitHub (webhook secret, OAuth
 * client secret, written by `repogate setup github-app`) or from the admin (API-key hashes); the stack only
 * creates the containers. The API-key secret starts as an empty list so the broker starts without service
 * accounts.
 */
export class BrokerSecrets extends Construct {
  readonly webhookSecret: secretsmanager.Secret;
  readonly oauthClientSecret: secretsmanager.Secret;
  readonly apiKeys: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: { encryptionKey: kms.IKey }) {
    super(scope, id);
    const common = { encryptionKey: props.encryptionKey, removalPolicy: RemovalPolicy.RETAIN };
    // The names `repogate setup github-app` writes to (its default --secret-prefix repogate/github-app).
    this.webhookSecret = new secretsmanager.Secret(this, "WebhookSecret", {
      ...common,
      secretName: "repogate/github-app/webhook-secret",
      description: "repogate: GitHub App webhook secret (X-Hub-Signature-256)",
    });
    this.oauthClientSecret = new secretsmanager.Secret(this, "OAuthClientSecret", {
      ...common,
      secretName: "repogate/github-app/client-secret",
      description: "repogate: GitHub App OAuth client secret",
    });
    this.apiKeys = new secretsmanager.Secret(this, "ApiKeys", {
      ...common,
      secretName: "repogate/api-keys",
      description: "repogate: service-account API keys (SHA-256 hashes only, never the keys)",
      // Not a secret: an empty record list, so the broker starts before any service account exists.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ apiKeys: [] })),
    });
  }

  /** The three secret ARNs, exactly what the broker's role may read. */
  get all(): secretsmanager.Secret[] {
    return [this.webhookSecret, this.oauthClientSecret, this.apiKeys];
  }
}
