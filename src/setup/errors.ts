/** Errors of the admin setup commands: a stable `code` and one message that says what to do next. */
export class SetupError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SetupError";
    this.code = code;
  }

  /** Never the cause chain across a log boundary (it may hold request objects or key material). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}
