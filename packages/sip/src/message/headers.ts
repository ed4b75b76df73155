import { headerKey } from './header-names.js';

/**
 * One header line of a message. Parsed lines keep a reference to their source bytes so an
 * unmodified line is written back byte for byte; the value is decoded (and unfolded) on first
 * access only.
 */
export class HeaderField {
  /** The name as written (e.g. `v`, `VIA`, `Via`). */
  readonly name: string;
  /** Lookup key: lower-cased, compact form expanded (e.g. `via`). */
  readonly key: string;
  #value: string | undefined;
  readonly #src: Buffer | undefined;
  readonly #lineStart: number;
  readonly #lineEnd: number;
  readonly #valueStart: number;
  readonly #valueEnd: number;
  readonly #folded: boolean;

  /**
   * @param name - header name as written.
   * @param value - value text, or `undefined` when it is decoded lazily from `src`.
   * @param src - for parsed lines: the message buffer.
   * @param lineStart - offset of the line in `src`.
   * @param lineEnd - offset just past the line's CRLF (and of any continuation lines).
   * @param valueStart - offset of the value's first byte.
   * @param valueEnd - offset just past the value's last byte.
   * @param folded - true when the value spans continuation lines.
   */
  constructor(
    name: string,
    value: string | undefined,
    src?: Buffer,
    lineStart = 0,
    lineEnd = 0,
    valueStart = 0,
    valueEnd = 0,
    folded = false,
  ) {
    this.name = name;
    this.key = headerKey(name);
    this.#value = value;
    this.#src = src;
    this.#lineStart = lineStart;
    this.#lineEnd = lineEnd;
    this.#valueStart = valueStart;
    this.#valueEnd = valueEnd;
    this.#folded = folded;
  }

  /** @internal source bytes of the whole line (with folding and CRLF) when parsed. */
  get raw(): Buffer | undefined {
    // A view made on demand: most parsed lines are never written back on their own.
    return this.#src === undefined ? undefined : this.#src.subarray(this.#lineStart, this.#lineEnd);
  }

  /** The value, with surrounding whitespace removed and folded lines joined by one space (RFC 3261 section 7.3.1). */
  get value(): string {
    if (this.#value === undefined) {
      const src = this.#src;
      let v = src === undefined ? '' : src.toString('utf8', this.#valueStart, this.#valueEnd);
      if (this.#folded) v = unfold(v);
      this.#value = v;
    }
    return this.#value;
  }
}

function unfold(v: string): string {
  let out = '';
  let i = 0;
  while (i < v.length) {
    const c = v.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) {
      // Replace CRLF + leading whitespace (and whitespace before it) with a single SP.
      out = out.trimEnd();
      while (i < v.length) {
        const d = v.charCodeAt(i);
        if (d !== 0x0d && d !== 0x0a && d !== 0x20 && d !== 0x09) break;
        i++;
      }
      out += ' ';
      continue;
    }
    out += v[i];
    i++;
  }
  return out;
}

/** A header given as `[name, value]`. */
export type HeaderTuple = readonly [name: string, value: string];

/**
 * The ordered header list of a message. Names compare case-insensitively and compact forms
 * match their long names (`headers.get('Via')` finds `v:` lines). Order is kept exactly, unknown
 * headers are kept, and a header that appears on several lines keeps every line.
 */
export class Headers implements Iterable<HeaderField> {
  #fields: HeaderField[];
  #modified = false;

  /** @param init - initial headers, in order. */
  constructor(init?: Iterable<HeaderTuple | HeaderField>) {
    this.#fields = [];
    if (init !== undefined) {
      for (const h of init) this.#fields.push(h instanceof HeaderField ? h : new HeaderField(h[0], h[1]));
    }
  }

  /** @internal builds a list from parsed fields without copying. */
  static fromFields(fields: HeaderField[]): Headers {
    const h = new Headers();
    h.#fields = fields;
    return h;
  }

  /** True once any mutating method ran (the serializer then writes line by line). */
  get modified(): boolean {
    return this.#modified;
  }

  /** Number of header lines. */
  get size(): number {
    return this.#fields.length;
  }

  /** Iterates the header lines in order. */
  [Symbol.iterator](): Iterator<HeaderField> {
    return this.#fields[Symbol.iterator]();
  }

  /** A copy of the header lines in order. */
  fields(): HeaderField[] {
    return this.#fields.slice();
  }

  /** True when at least one line has this name. */
  has(name: string): boolean {
    const key = headerKey(name);
    for (const f of this.#fields) if (f.key === key) return true;
    return false;
  }

  /** The value of the first line with this name. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.#fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** The value of every line with this name, in order (a comma-joined line stays one string). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.#fields) if (f.key === key) out.push(f.value);
    return out;
  }

  /**
   * Every element of a comma-separated list header (Via, Route, Record-Route, Contact, Allow,
   * Supported ...) across all its lines, in order (RFC 3261 section 7.3.1). Commas inside
   * quoted strings and `<...>` do not split.
   */
  getList(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const f of this.#fields) if (f.key === key) splitHeaderList(f.value, out);
    return out;
  }

  /** Number of lines with this name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const f of this.#fields) if (f.key === key) n++;
    return n;
  }

  /**
   * Replaces every line with this name by the given value(s), at the position of the first
   * existing line (or at the end). An empty array removes the header.
   */
  set(name: string, value: string | readonly string[]): this {
    const values = typeof value === 'string' ? [value] : value;
    const key = headerKey(name);
    const first = this.#fields.findIndex((f) => f.key === key);
    const kept = this.#fields.filter((f) => f.key !== key);
    const fresh = values.map((v) => new HeaderField(name, v));
    if (first < 0) kept.push(...fresh);
    else kept.splice(first, 0, ...fresh);
    this.#fields = kept;
    this.#modified = true;
    return this;
  }

  /** Adds a line after the last line with the same name (or at the end). */
  append(name: string, value: string): this {
    const key = headerKey(name);
    let at = -1;
    for (let i = 0; i < this.#fields.length; i++) if (this.#fields[i]!.key === key) at = i;
    const field = new HeaderField(name, value);
    if (at < 0) this.#fields.push(field);
    else this.#fields.splice(at + 1, 0, field);
    this.#modified = true;
    return this;
  }

  /** Adds a line before the first line with the same name (or at the top); e.g. a new Via (RFC 3261 section 8.1.1.7). */
  prepend(name: string, value: string): this {
    const key = headerKey(name);
    const at = this.#fields.findIndex((f) => f.key === key);
    const field = new HeaderField(name, value);
    if (at < 0) this.#fields.unshift(field);
    else this.#fields.splice(at, 0, field);
    this.#modified = true;
    return this;
  }

  /** Removes the first list element of a header (e.g. the top Via when a response goes upstream): a comma-joined line keeps its other elements. */
  removeFirst(name: string): string | undefined {
    const key = headerKey(name);
    const at = this.#fields.findIndex((f) => f.key === key);
    if (at < 0) return undefined;
    const field = this.#fields[at]!;
    const parts = splitHeaderList(field.value, []);
    const first = parts.shift();
    if (parts.length === 0) this.#fields.splice(at, 1);
    else this.#fields[at] = new HeaderField(field.name, parts.join(', '));
    this.#modified = true;
    return first;
  }

  /** Removes every line with this name; returns how many were removed. */
  delete(name: string): number {
    const key = headerKey(name);
    const before = this.#fields.length;
    this.#fields = this.#fields.filter((f) => f.key !== key);
    const removed = before - this.#fields.length;
    if (removed > 0) this.#modified = true;
    return removed;
  }

  /** A deep copy (parsed lines keep their raw bytes). */
  clone(): Headers {
    const h = Headers.fromFields(this.#fields.slice());
    h.#modified = this.#modified;
    return h;
  }

  /** `[name, value]` pairs in order. */
  toTuples(): [string, string][] {
    return this.#fields.map((f) => [f.name, f.value]);
  }
}

/**
 * Splits a header value on commas outside quoted strings and `<...>` (RFC 3261 section 7.3.1),
 * trimming each element and dropping empty ones. Appends to `out` and returns it.
 */
export function splitHeaderList(value: string, out: string[] = []): string[] {
  let quoted = false;
  let angle = false;
  let start = 0;
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c) angle = true;
    else if (c === 0x3e) angle = false;
    else if (c === 0x2c && !angle) {
      const part = value.slice(start, i).trim();
      if (part !== '') out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}
