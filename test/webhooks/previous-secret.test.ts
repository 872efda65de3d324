/**
 * During a webhook-secret rotation the previous secret (AWSPREVIOUS) is accepted while the current one is younger
 * than the window, read from the AWS emulator's Secrets Manager through the broker's own store.
 */
import { CreateSecretCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecretsManagerStore } from "../../src/aws/secrets-manager-store.ts";
import { createWebhookSecretGetter } from "../../src/secrets/index.ts";
import { credentials, type EmulatorFixture, secretsClient, startFixture } from "../aws-emulator/fixture.ts";

let aws: EmulatorFixture;

beforeAll(async () => {
  aws = await startFixture();
  const client = secretsClient(aws.emulator);
  await client.send(new CreateSecretCommand({ Name: "webhook", SecretString: "old-secret" }));
  await client.send(new PutSecretValueCommand({ SecretId: "webhook", SecretString: "new-secret" }));
  client.destroy();
});
afterAll(async () => {
  await aws?.stop();
});

function getter(clock: () => number) {
  const store = createSecretsManagerStore({
    endpoint: aws.emulator.url,
    region: "us-east-1",
    credentials,
    cacheTtlMs: 0,
  });
  return createWebhookSecretGetter({
    store,
    secretName: "webhook",
    previousSecretWindowMs: 60 * 60_000,
    clock,
  });
}

describe("webhook secrets during a rotation", () => {
  it("accepts the previous secret within the window after the change", async () => {
    expect(await getter(Date.now)()).toEqual(["new-secret", "old-secret"]);
  });

  it("accepts only the current secret once the window has passed", async () => {
    expect(await getter(() => Date.now() + 2 * 60 * 60_000)()).toEqual(["new-secret"]);
  });
});
