import { randomBytes } from 'node:crypto';

/** The RFC 3261 section 8.1.1.7 magic cookie every branch starts with. */
export const BRANCH_COOKIE = 'z9hG4bK';

let pool = Buffer.alloc(0);
let offset = 0;

function hex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const s = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return s;
}

/** A new Via branch: `z9hG4bK` + 64 random bits (RFC 3261 8.1.1.7). */
export function newBranch(): string {
  return BRANCH_COOKIE + hex(8);
}

/** A new From/To tag with 64 random bits (RFC 3261 19.3). */
export function newTag(): string {
  return hex(8);
}

/** A new Call-ID: 128 random bits (RFC 3261 8.1.1.4). */
export function newCallId(): string {
  return hex(16);
}
