/** An error meant for the user: printed as `pmip-exporter: <message>` with its exit code, no stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
