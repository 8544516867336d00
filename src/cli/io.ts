import { styleText } from 'node:util';

/** Where commands write: data to stdout, diagnostics to stderr. Injected so tests can capture. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  color: boolean;
  isTty: boolean;
}

export function processIo(): Io {
  const isTty = Boolean(process.stdout.isTTY);
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    color: isTty && !process.env.NO_COLOR,
    isTty,
  };
}

type Style = Parameters<typeof styleText>[0];

export function paint(io: Io, style: Style, text: string): string {
  return io.color ? styleText(style, text) : text;
}

/** Stable JSON for `--json`: two-space indent, one document per command. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** Exit codes, after Terraform's -detailed-exitcode. */
export const EXIT = { ok: 0, error: 1, drift: 2 } as const;

/** Version of the `--json` shapes; bumped only on an incompatible change. */
export const JSON_SCHEMA_VERSION = 1;
