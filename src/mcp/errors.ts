import type { PolicyDecision } from "../policy/index.ts";

/** Base class of errors the tools raise on purpose: a stable `code` and a message safe to show the model. */
export class ToolError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The policy refused the call; carries the decision so the result can name the rule and what is allowed. */
export class PolicyDeniedError extends ToolError {
  readonly decision: PolicyDecision;

  constructor(decision: PolicyDecision) {
    super(decision.code, decision.reason);
    this.decision = decision;
  }
}

/** An argument that passed the schema but cannot be used (a bad path, an unusable query). */
export class InvalidToolArgumentError extends ToolError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
  }
}
