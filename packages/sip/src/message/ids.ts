import { randomBytes, randomUUID } from 'node:crypto';

/** The RFC 3261 branch prefix ("magic cookie", section 8.1.1.7). */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

let pool = Buffer.alloc(0);
let poolPos = 0;

function randomHex(bytes: number): string {
  if (poolPos + bytes > pool.length) {
    pool = randomBytes(4096);
    poolPos = 0;
  }
  const s = pool.toString('hex', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** A new Via branch: `z9hG4bK` followed by 128 random bits in hex (RFC 3261 section 8.1.1.7). */
export function generateBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomHex(16);
}

/** A new From/To tag: 64 random bits in hex (RFC 3261 section 19.3 asks for at least 32). */
export function generateTag(): string {
  return randomHex(8);
}

/** A new Call-ID: a random UUID, optionally `@host` (RFC 3261 section 8.1.1.4). */
export function generateCallId(host?: string): string {
  return host === undefined ? randomUUID() : `${randomUUID()}@${host}`;
}
