import { styleText } from 'node:util';

/** Where commands write: data to stdout, diagnostics to stderr. Injected so tests can capture. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  color: boolean;
  isTty: boolean;
  /** Asks a yes/no question on the terminal; absent when there is no terminal to ask on. */
  ask?: (question: string) => Promise<boolean>;
}

export function processIo(): Io {
  const isTty = Boolean(process.stdout.isTTY);
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    color: isTty && !process.env.NO_COLOR,
    isTty,
    ...(isTty && process.stdin.isTTY ? { ask } : {}),
  };
}

async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
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
export const EXIT = { ok: 0, error: 1, drift: 2, blocked: 3 } as const;

/** Version of the `--json` shapes; bumped only on an incompatible change. */
export const JSON_SCHEMA_VERSION = 1;
