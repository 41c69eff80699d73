import type { Command } from 'commander';

/** `pmip-exporter wire ...`: decode and encode Mobile IP messages (placeholder, filled by the wire CLI work). */
export function registerWireCommands(program: Command): void {
  program.command('wire').description('decode and encode Mobile IPv4 messages');
}
