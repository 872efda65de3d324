import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  type SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, secretsClient, startFixture } from "./fixture.ts";

let fixture: EmulatorFixture;
let sm: SecretsManagerClient;

beforeAll(async () => {
  fixture = await startFixture();
  sm = secretsClient(fixture.emulator);
});

afterAll(async () => {
  sm?.destroy();
  await fixture?.stop();
});

const V1 = "11111111-1111-4111-8111-111111111111";
const V2 = "22222222-2222-4222-8222-222222222222";
const V3 = "33333333-3333-4333-8333-333333333333";

describe("CreateSecret, GetSecretValue, DescribeSecret", () => {
  it("creates a string secret with an AWS-shaped ARN and reads it by name and ARN", async () => {
    const created = await sm.send(
      new CreateSecretCommand({
        Name: "repogate/github-webhook",
        SecretString: "s3cret",
        ClientRequestToken: V1,
        Description: "webhook secret",
      }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:repogate\/github-webhook-[A-Za-z0-9]{6}$/,
    );
    expect(created.VersionId).toBe(V1);
    for (const id of [created.Name as string, created.ARN as string]) {
      const value = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(value).toMatchObject({
        ARN: created.ARN,
        Name: "repogate/github-webhook",
        SecretString: "s3cret",
        VersionId: V1,
        VersionStages: ["AWSCURRENT"],
      });
      expect(value.CreatedDate).toBeInstanceOf(Date);
    }
    const described = await sm.send(new DescribeSecretCommand({ SecretId: "repogate/github-webhook" }));
    expect(described).toMatchObject({
      ARN: created.ARN,
      Name: "repogate/github-webhook",
      Description: "webhook secret",
      VersionIdsToStages: { [V1]: ["AWSCURRENT"] },
    });
    expect(described.CreatedDate).toBeInstanceOf(Date);
    expect(described.LastChangedDate).toBeInstanceOf(Date);
    expect(described.LastAccessedDate).toBeInstanceOf(Date);
  });

  it("round-trips a binary secret", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await sm.send(new CreateSecretCommand({ Name: "binary", SecretBinary: bytes }));
    const value = await sm.send(new GetSecretValueCommand({ SecretId: "binary" }));
    expect(Buffer.from(value.SecretBinary as Uint8Array)).toEqual(bytes);
    expect(value.SecretString).toBeUndefined();
  });

  it("raises ResourceNotFoundException, ResourceExistsException and InvalidParameterException", async () => {
    const missing = await sm.send(new GetSecretValueCommand({ SecretId: "nope" })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as Error).message).toBe("Secrets Manager can't find the specified secret.");
    await expect(
      sm.send(new CreateSecretCommand({ Name: "repogate/github-webhook", SecretString: "x" })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(
      sm.send(new CreateSecretCommand({ Name: "both", SecretString: "x", SecretBinary: Buffer.from("y") })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    const noStage = await sm
      .send(new GetSecretValueCommand({ SecretId: "repogate/github-webhook", VersionStage: "AWSPENDING" }))
      .catch((e: unknown) => e);
    expect(noStage).toBeInstanceOf(ResourceNotFoundException);
    const badName = await sm
      .send(new CreateSecretCommand({ Name: "bad name!", SecretString: "x" }))
      .catch((e: unknown) => e);
    expect((badName as SecretsManagerServiceException).name).toBe("ValidationException");
  });
});

describe("versions and rotation stages", () => {
  it("moves AWSCURRENT and AWSPREVIOUS on PutSecretValue", async () => {
    const put = await sm.send(
      new PutSecretValueCommand({
        SecretId: "repogate/github-webhook",
        SecretString: "v2",
        ClientRequestToken: V2,
      }),
    );
    expect(put).toMatchObject({ VersionId: V2, VersionStages: ["AWSCURRENT"] });
    const current = await sm.send(new GetSecretValueCommand({ SecretId: "repogate/github-webhook" }));
    expect(current.SecretString).toBe("v2");
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: "repogate/github-webhook", VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous).toMatchObject({ SecretString: "s3cret", VersionId: V1, VersionStages: ["AWSPREVIOUS"] });
    const byId = await sm.send(
      new GetSecretValueCommand({ SecretId: "repogate/github-webhook", VersionId: V1 }),
    );
    expect(byId.SecretString).toBe("s3cret");
    // Same token and value again is idempotent; same token with another value is refused.
    const again = await sm.send(
      new PutSecretValueCommand({
        SecretId: "repogate/github-webhook",
        SecretString: "v2",
        ClientRequestToken: V2,
      }),
    );
    expect(again.VersionId).toBe(V2);
    await expect(
      sm.send(
        new PutSecretValueCommand({
          SecretId: "repogate/github-webhook",
          SecretString: "other",
          ClientRequestToken: V2,
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it("rotates like a rotation Lambda: AWSPENDING, then finishSecret moves AWSCURRENT", async () => {
    const pending = await sm.send(
      new PutSecretValueCommand({
        SecretId: "repogate/github-webhook",
        SecretString: "v3",
        ClientRequestToken: V3,
        VersionStages: ["AWSPENDING"],
      }),
    );
    expect(pending.VersionStages).toEqual(["AWSPENDING"]);
    const stillCurrent = await sm.send(new GetSecretValueCommand({ SecretId: "repogate/github-webhook" }));
    expect(stillCurrent.SecretString).toBe("v2");
    const pendingValue = await sm.send(
      new GetSecretValueCommand({ SecretId: "repogate/github-webhook", VersionStage: "AWSPENDING" }),
    );
    expect(pendingValue.SecretString).toBe("v3");

    // Moving AWSCURRENT without naming the version that has it is refused.
    await expect(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: "repogate/github-webhook",
          VersionStage: "AWSCURRENT",
          MoveToVersionId: V3,
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    const moved = await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: "repogate/github-webhook",
        VersionStage: "AWSCURRENT",
        MoveToVersionId: V3,
        RemoveFromVersionId: V2,
      }),
    );
    expect(moved.Name).toBe("repogate/github-webhook");
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: "repogate/github-webhook",
        VersionStage: "AWSPENDING",
        RemoveFromVersionId: V3,
      }),
    );
    const described = await sm.send(new DescribeSecretCommand({ SecretId: "repogate/github-webhook" }));
    expect(described.VersionIdsToStages).toEqual({ [V2]: ["AWSPREVIOUS"], [V3]: ["AWSCURRENT"] });
    const current = await sm.send(new GetSecretValueCommand({ SecretId: "repogate/github-webhook" }));
    expect(current).toMatchObject({ SecretString: "v3", VersionId: V3, VersionStages: ["AWSCURRENT"] });
  });

  it("throttles with ThrottlingException, which the SDK retries", async () => {
    fixture.emulator.faults.set({
      service: "secretsmanager",
      kind: "throttle",
      operation: "GetSecretValue",
      count: 1,
    });
    const noRetry = secretsClient(fixture.emulator, { maxAttempts: 1 });
    const error = await noRetry
      .send(new GetSecretValueCommand({ SecretId: "repogate/github-webhook" }))
      .catch((e: unknown) => e);
    expect((error as SecretsManagerServiceException).name).toBe("ThrottlingException");
    noRetry.destroy();
    fixture.emulator.faults.set({
      service: "secretsmanager",
      kind: "throttle",
      operation: "GetSecretValue",
      count: 1,
    });
    const value = await sm.send(new GetSecretValueCommand({ SecretId: "repogate/github-webhook" }));
    expect(value.$metadata.attempts).toBe(2);
  });

  it("keeps secrets and their stages across a restart", async () => {
    await fixture.restart();
    const current = await sm.send(new GetSecretValueCommand({ SecretId: "repogate/github-webhook" }));
    expect(current.SecretString).toBe("v3");
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: "repogate/github-webhook", VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous.SecretString).toBe("v2");
  });
});
