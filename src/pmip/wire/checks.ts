/**
 * Range checks shared by the codecs, the agents' options and the command line. Each caller keeps
 * its own error type: it passes `fail`, which turns the message into the error to throw (define
 * it once per module, not per call, on hot encode paths).
 */

/** Turns a check's message into the error the caller throws. */
export type MakeError = (message: string) => Error;

const rangeError: MakeError = (message) => new RangeError(message);
const plainError: MakeError = (message) => new Error(message);

/** An integer from 0 to `max`, else `fail("<field>: <value> is not an integer from 0 to <max>")`. */
export function checkUint(value: number, field: string, max: number, fail: MakeError = rangeError): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw fail(`${field}: ${value} is not an integer from 0 to ${max}`);
}

/** Whether `value` is an integer UDP/TCP port from `min` (0 unless told) to 65535. */
export function isPort(value: number, min = 0): boolean {
  return Number.isInteger(value) && value >= min && value <= 0xffff;
}

/** A port from 0 to 65535, else `fail("<field>: <value> must be a port from 0 to 65535")`. */
export function checkPort(value: number, field: string, fail: MakeError = plainError): void {
  if (!isPort(value)) throw fail(`${field}: ${value} must be a port from 0 to 65535`);
}
