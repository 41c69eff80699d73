/** The subnet map: the table with longest-prefix match, and the AAP protocol on UDP 6500 (docs/aap-protocol.md). */
export * from './table.ts';
export * from './digest.ts';
export * from './aap-codec.ts';
export * from './replay.ts';
export * from './endpoint.ts';
export * from './ha-probe.ts';
export * from './aap-server.ts';
export * from './aap-client.ts';
