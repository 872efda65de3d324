import { createHash, createPublicKey, verify } from "node:crypto";
import { DescribeKeyCommand, GetPublicKeyCommand, type KeyMetadata, SignCommand } from "@aws-sdk/client-kms";
import { createSecretStoreFromConfig } from "../secrets/from-config.ts";
import { SecretStoreError, secretText } from "../secrets/secret-store.ts";
import { type DoctorCheck, describeError, fail, pass, skip } from "./check.ts";

const DAY_MS = 86_400_000;

/** The KMS key exists, is an enabled RSA signing key, and signs a test digest that its public key verifies. */
export const kmsCheck: DoctorCheck = {
  name: "kms key",
  fixOnTimeout: "KMS does not answer: check aws.region / github.signer.region and network access to KMS",
  async run({ config, aws, timeoutMs }) {
    const signer = config.github.signer;
    if (signer.type !== "kms") return skip("signer is a PEM file (github.signer.type: pem)");
    const keyId = signer.keyId;
    const options = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
    let meta: KeyMetadata | undefined;
    try {
      meta = (await aws.kms.send(new DescribeKeyCommand({ KeyId: keyId }), options())).KeyMetadata;
    } catch (error) {
      const name = (error as { name?: string }).name;
      return fail(
        `DescribeKey ${keyId}: ${describeError(error)}`,
        name === "NotFoundException"
          ? `no KMS key ${keyId} in ${signer.region ?? config.aws.region}: fix github.signer.keyId (key id, ARN or alias/…) or the region`
          : `allow kms:DescribeKey and kms:Sign on ${keyId} for repogate's role, and check the KMS endpoint/region`,
      );
    }
    const problems: string[] = [];
    if (!meta?.KeySpec?.startsWith("RSA_")) problems.push(`KeySpec is ${meta?.KeySpec}, not RSA_*`);
    if (meta?.KeyUsage !== "SIGN_VERIFY") problems.push(`KeyUsage is ${meta?.KeyUsage}, not SIGN_VERIFY`);
    if (meta?.Enabled !== true || meta?.KeyState !== "Enabled")
      problems.push(`key state is ${meta?.KeyState}`);
    if (problems.length > 0) {
      return fail(
        `${keyId}: ${problems.join("; ")}`,
        "import the GitHub App's RSA key into an EXTERNAL-origin KMS key with KeySpec RSA_2048 and KeyUsage SIGN_VERIFY (see app-manifest/README), and enable it",
      );
    }
    const digest = createHash("sha256").update("repogate doctor test signature").digest();
    try {
      const signed = await aws.kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: digest,
          MessageType: "DIGEST",
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
        }),
        options(),
      );
      const publicKey = await aws.kms.send(new GetPublicKeyCommand({ KeyId: keyId }), options());
      const key = createPublicKey({
        key: Buffer.from(publicKey.PublicKey as Uint8Array),
        format: "der",
        type: "spki",
      });
      const valid = verify(
        "sha256",
        Buffer.from("repogate doctor test signature"),
        key,
        Buffer.from(signed.Signature ?? []),
      );
      if (!valid) {
        return fail(
          `${keyId}: the test signature does not verify`,
          "the key material is broken: re-import the App key",
        );
      }
    } catch (error) {
      return fail(
        `test Sign with ${keyId}: ${describeError(error)}`,
        `allow kms:Sign (and kms:GetPublicKey for doctor) on ${keyId} for repogate's role`,
      );
    }
    const ageDays = meta?.CreationDate
      ? Math.floor((Date.now() - meta.CreationDate.getTime()) / DAY_MS)
      : undefined;
    return pass(
      `${meta?.KeyId ?? keyId}: ${meta?.KeySpec}, SIGN_VERIFY, enabled, test Sign ok${ageDays !== undefined ? `, created ${ageDays} days ago` : ""}`,
    );
  },
};

/** Every secret the config names can be read (and the API-key secret parses). */
export const secretsCheck: DoctorCheck = {
  name: "secrets",
  fixOnTimeout:
    "Secrets Manager does not answer: check aws.region, aws.endpoint and network access (VPC endpoint/NAT)",
  async run({ config, aws, env }) {
    const named = [
      config.secrets.apiKeysSecret,
      config.secrets.webhookSecret,
      config.metrics.prometheus.tokenSecret,
    ].filter((name): name is string => name !== undefined);
    if (named.length === 0) return skip(`no secrets configured (secrets.store: ${config.secrets.store})`);
    const store = createSecretStoreFromConfig(config, { env, client: aws.secretsManager });
    const failures: string[] = [];
    let fix = "";
    for (const name of named) {
      try {
        secretText(await store.get(name));
      } catch (error) {
        failures.push(describeError(error));
        if (!fix && error instanceof SecretStoreError) fix = secretFix(error, config.secrets.store);
      }
    }
    if (failures.length > 0) {
      return fail(failures.join("; "), fix || "check the secret names in the secrets section of the config");
    }
    return pass(
      `${named.length} secret${named.length === 1 ? "" : "s"} readable from ${store.describe()}: ${named.join(", ")}`,
    );
  },
};

function secretFix(error: SecretStoreError, store: string): string {
  switch (error.code) {
    case "SECRET_NOT_FOUND":
      return store === "secretsmanager"
        ? `create secret ${error.secretName} in Secrets Manager (aws secretsmanager create-secret --name ${error.secretName} …) or fix its name in the config`
        : `set ${error.secretName} in secrets.file or its REPOGATE_SECRET_* variable`;
    case "SECRET_ACCESS_DENIED":
      return `allow secretsmanager:GetSecretValue on ${error.secretName} (and kms:Decrypt on its key) for repogate's role`;
    case "SECRET_UNAVAILABLE":
    case "SECRET_STALE_TOO_LONG":
      return "Secrets Manager is unreachable: check aws.region/aws.endpoint and network access (VPC endpoint or NAT)";
    default:
      return error.message;
  }
}
