import { execFileSync } from 'node:child_process';

/** Runs tshark with the given arguments and returns its standard output (throws on failure). */
export function runTshark(args: string[]): string {
  return execFileSync('tshark', args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
