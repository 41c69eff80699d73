import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { udpPortBindable } from '../../../src/pmip/runtime/udp.ts';

describe('udpPortBindable', () => {
  it('says false for a port another socket holds, true once it is released, and leaves it free', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', () => r()));
    const { port } = holder.address();
    expect(await udpPortBindable('127.0.0.1', port)).toBe(false);
    await new Promise<void>((r) => holder.close(() => r()));
    expect(await udpPortBindable('127.0.0.1', port)).toBe(true);
    // The probe closed its socket: the port can be bound again.
    expect(await udpPortBindable('127.0.0.1', port)).toBe(true);
  });

  it('says false for an address this host does not have', async () => {
    expect(await udpPortBindable('192.0.2.123', 0)).toBe(false);
  });
});
