/** Capture files: reading pcap/pcapng down to IPv4/UDP/ICMP, writing pcap, Mobile IP decoding. */
export * from './errors.ts';
export * from './pcap.ts';
export * from './packets.ts';
export * from './writer.ts';
export * from './mobile-ip.ts';
