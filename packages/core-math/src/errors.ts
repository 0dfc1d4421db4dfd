/**
 * Quiver's error hierarchy. Every error thrown by a public entry point is a `VectorSearchError`
 * with a stable `code`; check `code` (or `isVectorSearchError`) rather than `instanceof` alone, so
 * the check still works when two copies of a package are loaded.
 */

export type ErrorCode =
  | 'DIMENSION_MISMATCH'
  | 'INVALID_ARGUMENT'
  | 'CORRUPT_FILE'
  | 'UNSUPPORTED_OPERATION'
  | 'DUPLICATE_ID'
  | 'ID_NOT_FOUND'
  | 'NOT_TRAINED'
  | 'CAPACITY'
  | 'ABORTED'
  | 'INTERNAL';

export interface VectorSearchErrorOptions {
  cause?: unknown;
}

export class VectorSearchError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: VectorSearchErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

export function isVectorSearchError(value: unknown): value is VectorSearchError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    value instanceof Error
  );
}

/** A vector or batch whose dimension differs from the index's. */
export class DimensionMismatchError extends VectorSearchError {
  readonly expected: number;
  readonly received: number;

  constructor(expected: number, received: number, context = 'vector', options?: VectorSearchErrorOptions) {
    super('DIMENSION_MISMATCH', `${context}: expected dimension ${expected}, got ${received}`, options);
    this.expected = expected;
    this.received = received;
  }
}

/** An argument outside its domain: k <= 0, NaN in a vector, an empty batch, an unknown metric... */
export class InvalidArgumentError extends VectorSearchError {
  readonly argument: string;

  constructor(argument: string, message: string, options?: VectorSearchErrorOptions) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`, options);
    this.argument = argument;
  }
}

export type CorruptFileReason =
  | 'magic'
  | 'version'
  | 'kind'
  | 'header'
  | 'checksum'
  | 'truncated'
  | 'limit'
  | 'dtype'
  | 'unsupported';

/** A file or byte buffer that is not what it claims to be. Loaders throw this before allocating. */
export class CorruptFileError extends VectorSearchError {
  readonly reason: CorruptFileReason;

  constructor(reason: CorruptFileReason, message: string, options?: VectorSearchErrorOptions) {
    super('CORRUPT_FILE', `corrupt file (${reason}): ${message}`, options);
    this.reason = reason;
  }
}

/** An operation the index or backend does not support; see its `capabilities`. */
export class UnsupportedOperationError extends VectorSearchError {
  readonly kind: string;
  readonly operation: string;

  constructor(kind: string, operation: string, detail?: string, options?: VectorSearchErrorOptions) {
    super('UNSUPPORTED_OPERATION', `${kind} does not support ${operation}${detail ? `: ${detail}` : ''}`, options);
    this.kind = kind;
    this.operation = operation;
  }
}

export class DuplicateIdError extends VectorSearchError {
  readonly id: unknown;

  constructor(id: unknown, options?: VectorSearchErrorOptions) {
    super('DUPLICATE_ID', `duplicate id ${String(id)}`, options);
    this.id = id;
  }
}

export class IdNotFoundError extends VectorSearchError {
  readonly id: unknown;

  constructor(id: unknown, options?: VectorSearchErrorOptions) {
    super('ID_NOT_FOUND', `id ${String(id)} not found`, options);
    this.id = id;
  }
}

export class NotTrainedError extends VectorSearchError {
  constructor(what: string, options?: VectorSearchErrorOptions) {
    super('NOT_TRAINED', `${what} must be trained first`, options);
  }
}

/** A size limit was hit: memory, 32-bit slot space, a configured maximum. */
export class CapacityError extends VectorSearchError {
  constructor(message: string, options?: VectorSearchErrorOptions) {
    super('CAPACITY', message, options);
  }
}

/** A long operation stopped because its AbortSignal fired. */
export class AbortedError extends VectorSearchError {
  constructor(what: string, options?: VectorSearchErrorOptions) {
    super('ABORTED', `${what} was aborted`, options);
  }
}

/** A broken internal invariant: a bug in Quiver, never a caller mistake. */
export class InternalError extends VectorSearchError {
  constructor(message: string, options?: VectorSearchErrorOptions) {
    super('INTERNAL', message, options);
  }
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
}

/** Throws `AbortedError` (with the signal's reason as cause) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
}
