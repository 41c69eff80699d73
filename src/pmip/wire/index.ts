/** The Mobile IPv4 wire codec: pure functions, bytes in, typed values or a WireError out. */
export * from './codec-error.ts';
export * from './errors.ts';
export * from './checks.ts';
export * from './ipv4.ts';
export * from '../reply-codes.ts';
export * from './extensions.ts';
export * from './auth.ts';
export * from './registration.ts';
export * from './advertisement.ts';
export * from './identification.ts';
export * from './json.ts';
