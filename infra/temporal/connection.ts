/**
 * How every part of the system reaches Temporal: the embedded dev server on loopback, or a cluster
 * at TEMPORAL_ADDRESS with (mutual) TLS from the settings.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Settings } from '../settings';

export type TemporalSettings = Pick<
  Settings,
  'temporalAddress' | 'temporalNamespace' | 'temporalDevPort' | 'temporalTlsCertFile' | 'temporalTlsKeyFile' | 'temporalTlsCaFile' | 'temporalTlsServerName'
>;

export function temporalAddress(settings: TemporalSettings): string {
  return settings.temporalAddress ?? `127.0.0.1:${settings.temporalDevPort}`;
}

function tlsConfig(settings: TemporalSettings): TLSConfig | undefined {
  const { temporalTlsCertFile: cert, temporalTlsKeyFile: key, temporalTlsCaFile: ca, temporalTlsServerName: serverName } = settings;
  if (!cert && !ca && !serverName) return undefined;
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: ca ? readFileSync(ca) : undefined,
    clientCertPair: cert && key ? { crt: readFileSync(cert), key: readFileSync(key) } : undefined,
  };
}

export async function connectClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress(settings), tls: tlsConfig(settings) });
  return new Client({ connection, namespace: settings.temporalNamespace });
}

export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address: temporalAddress(settings), tls: tlsConfig(settings) });
}
