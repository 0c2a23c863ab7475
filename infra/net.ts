import net from 'node:net';

/** Whether something accepts TCP connections on a loopback port. */
export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface AddressRange {
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly prefix: number | undefined;
}

/** `192.0.2.10`, `10.20.0.0/16`, `2001:db8::/48`; undefined for anything else. */
function parseRange(text: string): AddressRange | undefined {
  const [address = '', prefix, ...rest] = text.trim().split('/');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (!family || rest.length > 0) return undefined;
  if (prefix === undefined) return { address, family, prefix: undefined };
  const bits = /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  return bits <= (family === 'ipv4' ? 32 : 128) ? { address, family, prefix: bits } : undefined;
}

export function isAddressOrRange(text: string): boolean {
  return parseRange(text) !== undefined;
}

/**
 * IP addresses and CIDR ranges as one test of a peer's address. An IPv4 peer of a dual-stack listener
 * (`::ffff:192.0.2.10`) matches its IPv4 entry.
 */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new net.BlockList();
  for (const entry of entries) {
    const range = parseRange(entry);
    if (!range) throw new RangeError(`not an IP address or CIDR range: ${entry}`);
    if (range.prefix === undefined) list.addAddress(range.address, range.family);
    else list.addSubnet(range.address, range.prefix, range.family);
  }
  return (address) => {
    const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
    return family !== undefined && list.check(address, family);
  };
}
