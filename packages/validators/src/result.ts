/**
 * The outcome of a validator: the parsed value, or a typed error. Validators in this package
 * return a `Result` for bad input and never throw.
 *
 * @typeParam T - the value on success
 * @typeParam E - the error on failure
 */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** @internal Builds a successful result. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** @internal Builds a failed result. */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/**
 * @internal Sets an own enumerable property, so that keys such as `__proto__` taken from input
 * become plain data instead of changing the object's prototype.
 */
export function setOwn<V>(target: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** @internal Whether `key` is an own property of `target`. */
export function hasOwn(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/** @internal Lower-cases ASCII letters only (SIP names are case-insensitive in ASCII). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
