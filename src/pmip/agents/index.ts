/** Home agent, foreign agent and agent advertiser (RFC 5944): lab peers for the access point. */
export * from './common.ts';
export * from './advertiser.ts';
export * from './home-agent.ts';
export * from './foreign-agent.ts';
