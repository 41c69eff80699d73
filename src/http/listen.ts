/**
 * Starting an HTTP(S) server on the configured address and naming where it listens: the one
 * place the association API and the exporter do it.
 */
import type { AddressInfo, Server } from 'node:net';

export interface ListenAddress {
  host: string;
  /** 0 picks a free port; the URL carries the one bound. */
  port: number;
}

/**
 * Listens on `listen` and resolves with the server's URL (`http://host:port`, IPv6 hosts in
 * brackets, the bound port when `port` was 0); rejects with the listen error (EADDRINUSE, ...).
 */
export async function listenForUrl(server: Server, listen: ListenAddress, scheme = 'http'): Promise<string> {
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `${scheme}://${host}:${port}`;
}
