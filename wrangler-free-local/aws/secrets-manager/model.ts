/** One version of a secret's value. */
export interface StoredSecretVersion {
  versionId: string;
  secretString?: string;
  /** base64 */
  secretBinary?: string;
  createdAt: number;
  stages: string[];
}

export interface StoredSecret {
  name: string;
  arn: string;
  accountId: string;
  region: string;
  description?: string;
  kmsKeyId?: string;
  tags?: { Key?: string; Value?: string }[];
  createdAt: number;
  lastChangedAt: number;
  lastAccessedAt?: number;
  /** By version id, in creation order. */
  versions: Record<string, StoredSecretVersion>;
}

export interface SecretsState {
  /** By ARN. */
  secrets: Record<string, StoredSecret>;
}
