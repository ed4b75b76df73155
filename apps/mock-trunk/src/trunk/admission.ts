import { BlockList, isIP } from 'node:net';

/** The trunk's default ACL: loopback only. */
export const DEFAULT_ACL: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** Thrown for a CIDR the ACL cannot use. */
export class AclError extends Error {
  /**
   * @param cidr - the offending value
   */
  constructor(readonly cidr: string) {
    super(`invalid CIDR "${cidr}" (expected e.g. 127.0.0.0/8 or ::1/128)`);
    this.name = 'AclError';
  }
}

/** Parses `a.b.c.d/n` or `x::y/n` (a bare address is a /32 or /128). */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText, extra] = cidr.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) throw new AclError(cidr);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) throw new AclError(cidr);
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** An IP ACL: `allows(address)` for a source address. */
export interface Acl {
  allows(address: string): boolean;
}

/** Builds an ACL from CIDRs (IPv4-mapped IPv6 sources are checked as IPv4). */
export function createAcl(cidrs: readonly string[]): Acl {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const { address, prefix, family } = parseCidr(cidr);
    list.addSubnet(address, prefix, family);
  }
  return {
    allows(address) {
      const bare = address.replace(/^\[|\]$/g, '');
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
      if (mapped?.[1] !== undefined) return list.check(mapped[1], 'ipv4');
      const family = isIP(bare);
      if (family === 0) return false;
      return list.check(bare, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
