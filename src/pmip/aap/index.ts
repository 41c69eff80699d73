/** The subnet map protocol on UDP 6500 between access points and AAPs (docs/aap-protocol.md). */
export * from './codec/index.ts';
export * from './replay-guard.ts';
export * from './sender.ts';
export * from './receiver.ts';
export * from './endpoint.ts';
export * from './home-agent-prober.ts';
export * from './server.ts';
export * from './client.ts';
