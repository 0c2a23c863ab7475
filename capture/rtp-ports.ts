/**
 * The RTSP server's UDP side: the server port pairs it binds for RTP and RTCP, one pair per track, from the
 * configured range, and a peer's address as UDP sees it. Apart from rtsp-server.ts because binding sockets from a
 * range is a transport concern with its own state (the pairs in use), separate from the RTSP dialogue.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../infra/logger';

export interface PortPair {
  readonly rtp: number;
  readonly sockets: dgram.Socket[];
}

export interface RtpPortOptions {
  readonly rtpPorts: { readonly first: number; readonly last: number };
  readonly host?: string;
  readonly logger: Logger;
}

/** The pairs of the range in use; the next one tried is after the last one given, wrapping round. */
export class RtpPortPool {
  private readonly usedPorts = new Set<number>();
  private nextPort: number;

  constructor(private readonly options: RtpPortOptions) {
    this.nextPort = options.rtpPorts.first;
  }

  /** Binds the next free even/odd port pair of the range; undefined when the range is exhausted. */
  async allocate(onDatagram: (data: Buffer, from: dgram.RemoteInfo) => void): Promise<PortPair | undefined> {
    const { first, last } = this.options.rtpPorts;
    const pairs = Math.floor((last - first + 1) / 2);
    for (let attempt = 0; attempt < pairs; attempt++) {
      const rtp = this.nextPort;
      this.nextPort = rtp + 2 + 1 > last ? first : rtp + 2;
      if (this.usedPorts.has(rtp)) continue;
      this.usedPorts.add(rtp);
      const sockets: dgram.Socket[] = [];
      try {
        for (const port of [rtp, rtp + 1]) {
          const socket = dgram.createSocket(net.isIPv6(this.options.host ?? '') ? 'udp6' : 'udp4');
          sockets.push(socket);
          socket.on('message', onDatagram);
          socket.on('error', (error) => this.options.logger.warn('rtp socket error', { port, error }));
          await new Promise<void>((resolve, reject) => {
            socket.once('error', reject);
            socket.bind(port, this.options.host ?? '127.0.0.1', () => {
              socket.off('error', reject);
              resolve();
            });
          });
        }
        return { rtp, sockets };
      } catch {
        // Taken by another program: release what was bound and try the next pair.
        for (const socket of sockets) socket.close();
        this.usedPorts.delete(rtp);
      }
    }
    return undefined;
  }

  release(pair: PortPair): void {
    for (const socket of pair.sockets) socket.close();
    this.usedPorts.delete(pair.rtp);
  }
}

/** A TCP peer's address as the UDP side sees it (an IPv4 peer of a dual-stack listener is `::ffff:a.b.c.d`). */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
