/** Option parsers the commands share: each throws a `CliError` naming the option and the rule. */
import { CliError } from './errors.ts';

/** `--<name> <n>`: an integer from `min` to `max`. */
export function int(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new CliError(`--${name}: "${value}" must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** `--listen HOST:PORT`, the port 0-65535. */
export function hostPort(value: string): { host: string; port: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new CliError(`--listen: "${value}" must be HOST:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}
