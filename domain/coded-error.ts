/**
 * An error with a stable code that callers branch on and a message a person reads (Korean where users see it). The code
 * is assigned in the body, not as a parameter property, so it survives `useDefineForClassFields`; the name is the
 * subclass's own.
 */
export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
