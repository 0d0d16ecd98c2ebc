// Typed, user-facing errors: one actionable line and a distinct process exit code each.

export const EXIT_CODES = {
  usage: 2,
  invalidInput: 3,
  unknownName: 4,
  perfDataMissing: 5,
  invalidConfig: 6,
  infeasible: 7,
  slaUnmet: 8,
  collectFailed: 9,
  validationFailed: 10,
} as const;

/** Base of every error whose message is meant for the user (no stack trace shown). */
export class InferplanError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flag or argument combination. */
export class UsageError extends InferplanError {
  constructor(message: string) {
    super(message, EXIT_CODES.usage);
  }
}

/** A file or row that does not parse or does not match its schema; names where. */
export class InvalidInputError extends InferplanError {
  constructor(message: string) {
    super(message, EXIT_CODES.invalidInput);
  }
}

/** A name (model, system, backend, version, dtype, table) that is not known; lists the known ones. */
export class UnknownNameError extends InferplanError {
  constructor(kind: string, name: string, known: readonly string[], hint = '') {
    const shown =
      known.length > 12 ? `${known.slice(0, 12).join(', ')}, ... (${known.length} in all)` : known.join(', ');
    super(
      `unknown ${kind} '${name}'; known: ${shown || '(none)'}${hint ? `. ${hint}` : ''}`,
      EXIT_CODES.unknownName,
    );
  }
}

/** The perf database has no data for a query in a mode that forbids estimating it. */
export class PerfDataMissingError extends InferplanError {
  constructor(message: string) {
    super(message, EXIT_CODES.perfDataMissing);
  }
}

/** A deployment configuration that breaks a rule (parallelism, quantisation, ...). */
export class InvalidConfigError extends InferplanError {
  constructor(message: string) {
    super(message, EXIT_CODES.invalidConfig);
  }
}

/** A configuration that cannot run (does not fit in memory, no usable GPU count). */
export class InfeasibleError extends InferplanError {
  constructor(message: string) {
    super(message, EXIT_CODES.infeasible);
  }
}

/** Quality gates or validation failed. */
export class ValidationFailedError extends InferplanError {
  constructor(message: string) {
    super(message, EXIT_CODES.validationFailed);
  }
}

/** A collection campaign finished with failed ops (after packaging the rest). */
export class CollectFailedError extends InferplanError {
  constructor(message: string) {
    super(message, EXIT_CODES.collectFailed);
  }
}
