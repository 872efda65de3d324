import { AwsServiceError, validationMessage } from "./protocol.ts";

interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
}

/** AWS names members in validation messages with a lower-case first letter ('keyId', 'message'). */
function memberName(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Typed, validated access to an operation's JSON input. Constraint failures become the service's validation error
 * (`ValidationException` in KMS and Secrets Manager, `InvalidParameterException` in CloudWatch Logs).
 */
export class RequestInput {
  constructor(
    private readonly body: Record<string, unknown>,
    private readonly validationCode: string,
  ) {}

  private fail(detail: string): never {
    throw new AwsServiceError(this.validationCode, validationMessage(detail));
  }

  private missing(name: string): never {
    this.fail(`Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`);
  }

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  optionalString(name: string, rule: StringRule = {}): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") this.fail(`Value at '${memberName(name)}' must be a string`);
    const member = memberName(name);
    if (rule.min !== undefined && value.length < rule.min) {
      this.fail(
        `Value '${value}' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.fail(
        `Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`,
      );
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      this.fail(
        `Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rule.pattern.source}`,
      );
    }
    return value;
  }

  string(name: string, rule: StringRule = {}): string {
    const value = this.optionalString(name, rule);
    if (value === undefined) this.missing(name);
    return value;
  }

  optionalEnum<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.optionalString(name);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) {
      this.fail(
        `Value '${value}' at '${memberName(name)}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(", ")}]`,
      );
    }
    return value as T;
  }

  enumValue<T extends string>(name: string, values: readonly T[]): T {
    const value = this.optionalEnum(name, values);
    if (value === undefined) this.missing(name);
    return value;
  }

  /** A blob member: base64 text on the wire. */
  optionalBlob(name: string, rule: { min?: number; max?: number } = {}): Buffer | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      throw new AwsServiceError(
        "SerializationException",
        `Value at '${memberName(name)}' is not valid base64`,
      );
    }
    const bytes = Buffer.from(value, "base64");
    const member = memberName(name);
    if (rule.min !== undefined && bytes.length < rule.min) {
      this.fail(
        `Value at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    }
    if (rule.max !== undefined && bytes.length > rule.max) {
      this.fail(
        `Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`,
      );
    }
    return bytes;
  }

  blob(name: string, rule: { min?: number; max?: number } = {}): Buffer {
    const value = this.optionalBlob(name, rule);
    if (value === undefined) this.missing(name);
    return value;
  }

  optionalNumber(name: string, rule: { min?: number; max?: number } = {}): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new AwsServiceError("SerializationException", `Value at '${memberName(name)}' must be a number`);
    }
    const member = memberName(name);
    if (rule.min !== undefined && value < rule.min) {
      this.fail(
        `Value '${value}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to ${rule.min}`,
      );
    }
    if (rule.max !== undefined && value > rule.max) {
      this.fail(
        `Value '${value}' at '${member}' failed to satisfy constraint: Member must have value less than or equal to ${rule.max}`,
      );
    }
    return value;
  }

  number(name: string, rule: { min?: number; max?: number } = {}): number {
    const value = this.optionalNumber(name, rule);
    if (value === undefined) this.missing(name);
    return value;
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") {
      throw new AwsServiceError("SerializationException", `Value at '${memberName(name)}' must be a boolean`);
    }
    return value;
  }

  optionalStringList(name: string, rule: { min?: number; max?: number } = {}): string[] | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
      throw new AwsServiceError(
        "SerializationException",
        `Value at '${memberName(name)}' must be a list of strings`,
      );
    }
    this.checkLength(name, value.length, rule);
    return value as string[];
  }

  /** A list of structures, returned raw for the operation to read member by member. */
  list(name: string, rule: { min?: number; max?: number } = {}): Record<string, unknown>[] {
    const value = this.body[name];
    if (value === undefined || value === null) this.missing(name);
    if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== "object")) {
      throw new AwsServiceError(
        "SerializationException",
        `Value at '${memberName(name)}' must be a list of objects`,
      );
    }
    this.checkLength(name, value.length, rule);
    return value as Record<string, unknown>[];
  }

  private checkLength(name: string, length: number, rule: { min?: number; max?: number }): void {
    const member = memberName(name);
    if (rule.min !== undefined && length < rule.min) {
      this.fail(
        `Value at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    }
    if (rule.max !== undefined && length > rule.max) {
      this.fail(
        `Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`,
      );
    }
  }
}
