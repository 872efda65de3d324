/**
 * Writes the App's secrets to Secrets Manager: CreateSecret, or PutSecretValue when the secret exists already (a
 * rerun or a new App replaces the value; the old one stays as AWSPREVIOUS).
 */
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { SetupError } from "./errors.ts";

export type SecretsWriterClient = Pick<SecretsManagerClient, "send">;

/** Stores `value` under `name`; resolves with the secret's ARN. Errors name the secret, never the value. */
export async function putSecret(
  client: SecretsWriterClient,
  name: string,
  value: string,
  description: string,
): Promise<string> {
  try {
    const created = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: value, Description: description }),
    );
    if (created.ARN) return created.ARN;
  } catch (error) {
    if ((error as { name?: string })?.name !== "ResourceExistsException") throw secretFailure(name, error);
  }
  try {
    const put = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    if (!put.ARN) throw new Error("PutSecretValue returned no ARN");
    return put.ARN;
  } catch (error) {
    throw secretFailure(name, error);
  }
}

function secretFailure(name: string, error: unknown): SetupError {
  const aws = (error as { name?: string })?.name ?? "UnknownError";
  if (aws === "AccessDeniedException" || aws === "AccessDenied") {
    return new SetupError(
      "SECRETS_ACCESS_DENIED",
      `AWS denied writing secret ${name} (${aws}): run the command with credentials allowed ` +
        "secretsmanager:CreateSecret and secretsmanager:PutSecretValue on it.",
    );
  }
  return new SetupError("SECRETS_WRITE_FAILED", `secret ${name} could not be written (${aws}).`);
}
