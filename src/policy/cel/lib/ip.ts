/**
 * Kubernetes' IP and CIDR libraries: `ip(string)`, `isIP(string)`, `ip.isCanonical(string)`,
 * `family()`, `isUnspecified()`, `isLoopback()`, `isLinkLocalMulticast()`,
 * `isLinkLocalUnicast()`, `isGlobalUnicast()`, `string(ip)`; `cidr(string)`, `isCIDR(string)`,
 * `containsIP`, `containsCIDR`, `ip()`, `masked()`, `prefixLength()`, `string(cidr)`.
 *
 * As in Kubernetes, IPv4 octets with leading zeros, IPv6 zones and IPv4-mapped IPv6 addresses are
 * rejected; IPv6 addresses print in RFC 5952 form.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { CelEvalError } from '../errors.ts';

export class CelIP {
  /** 4 or 16 bytes. */
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  get family(): 4 | 6 {
    return this.bytes.length === 4 ? 4 : 6;
  }

  toString(): string {
    return formatIp(this.bytes);
  }

  toJSON(): string {
    return this.toString();
  }
}

export class CelCIDR {
  readonly ip: CelIP;
  readonly prefix: number;

  constructor(ip: CelIP, prefix: number) {
    this.ip = ip;
    this.prefix = prefix;
  }

  masked(): CelCIDR {
    return new CelCIDR(new CelIP(mask(this.ip.bytes, this.prefix)), this.prefix);
  }

  containsIP(ip: CelIP): boolean {
    return ip.family === this.ip.family && equalBytes(mask(ip.bytes, this.prefix), mask(this.ip.bytes, this.prefix));
  }

  containsCIDR(other: CelCIDR): boolean {
    return other.ip.family === this.ip.family && other.prefix >= this.prefix && this.containsIP(other.ip);
  }

  toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function mask(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function parseIPv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | undefined {
  if (s.includes('%')) return undefined;
  let tail4: Uint8Array | undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...head, ...Array<string>(8 - total).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

export function parseIp(s: string): CelIP {
  const bytes = s.includes(':') ? parseIPv6(s) : parseIPv4(s);
  if (!bytes) throw new CelEvalError(`IP Address ${JSON.stringify(s)} parse error during conversion from string: ParseAddr(${JSON.stringify(s)}): invalid IP address`);
  if (bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    throw new CelEvalError(`IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  }
  return new CelIP(bytes);
}

export function parseCidr(s: string): CelCIDR {
  const slash = s.indexOf('/');
  const prefixText = slash < 0 ? '' : s.slice(slash + 1);
  if (slash < 0 || !/^\d{1,3}$/.test(prefixText)) throw new CelEvalError(`network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(s)}): no '/'`);
  const ip = parseIp(s.slice(0, slash));
  const prefix = Number(prefixText);
  if (prefix > ip.bytes.length * 8) throw new CelEvalError(`network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(s)}): bad bits after slash`);
  return new CelCIDR(ip, prefix);
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952: compress the longest run (two or more) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function isLoopback(ip: CelIP): boolean {
  const b = ip.bytes;
  return ip.family === 4 ? b[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}

function isUnspecified(ip: CelIP): boolean {
  return ip.bytes.every((x) => x === 0);
}

function isLinkLocalUnicast(ip: CelIP): boolean {
  const b = ip.bytes;
  return ip.family === 4 ? b[0] === 169 && b[1] === 254 : b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

function isLinkLocalMulticast(ip: CelIP): boolean {
  const b = ip.bytes;
  return ip.family === 4 ? b[0] === 224 && b[1] === 0 && b[2] === 0 : b[0] === 0xff && (b[1]! & 0x0f) === 0x02;
}

function isMulticast(ip: CelIP): boolean {
  return ip.family === 4 ? (ip.bytes[0]! & 0xf0) === 0xe0 : ip.bytes[0] === 0xff;
}

function isGlobalUnicast(ip: CelIP): boolean {
  if (ip.family === 4 && ip.bytes.every((x) => x === 255)) return false;
  return !isUnspecified(ip) && !isLoopback(ip) && !isMulticast(ip) && !isLinkLocalUnicast(ip);
}

function isValid(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

/** `ip.isCanonical(s)`: `ip` is both a function and a namespace. */
export class IPNamespace {}

export function registerIp(env: Environment): void {
  env
    .registerType('net.IP', CelIP)
    .registerType('net.CIDR', CelCIDR)
    .registerType('IPNamespace', IPNamespace)
    .registerConstant('ip', 'IPNamespace', new IPNamespace())
    .registerFunction('IPNamespace.isCanonical(string): bool', (_ns: IPNamespace, s: string) => parseIp(s).toString() === s)
    .registerFunction('ip(string): net.IP', (s: string) => parseIp(s))
    .registerFunction('isIP(string): bool', (s: string) => isValid(() => parseIp(s)))
    .registerFunction('net.IP.family(): int', (ip: CelIP) => BigInt(ip.family))
    .registerFunction('net.IP.isUnspecified(): bool', isUnspecified)
    .registerFunction('net.IP.isLoopback(): bool', isLoopback)
    .registerFunction('net.IP.isLinkLocalMulticast(): bool', isLinkLocalMulticast)
    .registerFunction('net.IP.isLinkLocalUnicast(): bool', isLinkLocalUnicast)
    .registerFunction('net.IP.isGlobalUnicast(): bool', isGlobalUnicast)
    .registerFunction('string(net.IP): string', (ip: CelIP) => ip.toString())
    .registerFunction('cidr(string): net.CIDR', (s: string) => parseCidr(s))
    .registerFunction('isCIDR(string): bool', (s: string) => isValid(() => parseCidr(s)))
    .registerFunction('net.CIDR.containsIP(net.IP): bool', (c: CelCIDR, ip: CelIP) => c.containsIP(ip))
    .registerFunction('net.CIDR.containsIP(string): bool', (c: CelCIDR, ip: string) => c.containsIP(parseIp(ip)))
    .registerFunction('net.CIDR.containsCIDR(net.CIDR): bool', (c: CelCIDR, o: CelCIDR) => c.containsCIDR(o))
    .registerFunction('net.CIDR.containsCIDR(string): bool', (c: CelCIDR, o: string) => c.containsCIDR(parseCidr(o)))
    .registerFunction('net.CIDR.ip(): net.IP', (c: CelCIDR) => c.ip)
    .registerFunction('net.CIDR.masked(): net.CIDR', (c: CelCIDR) => c.masked())
    .registerFunction('net.CIDR.prefixLength(): int', (c: CelCIDR) => BigInt(c.prefix))
    .registerFunction('string(net.CIDR): string', (c: CelCIDR) => c.toString());
}
