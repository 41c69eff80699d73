/** Option parsers the commands share: each throws a `CliError` naming the option and the rule. */
import { LOG_LEVELS, type LogLevel } from '../config/fields.ts';
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

/** `--log-level`: one of the levels a site file accepts. */
export function checkLogLevel(level: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new CliError(`--log-level: "${level}" must be debug, info, warn or error`);
  return level as LogLevel;
}
