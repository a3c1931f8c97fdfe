// The terminal side of `exec` and `run`, as docker compose does it: a TTY by
// default when our stdin is a terminal (-T turns it off), our stdin forwarded
// when it is a terminal or carries data (a pipe or a file: `echo x | tscompose
// exec -T svc cat`, `< dump.sql`), never when it is something a test harness
// or a service manager left open (a socket, /dev/null). With a TTY our
// terminal goes raw and its size follows us (SIGWINCH).

import { spawnSync } from 'node:child_process';
import { fstatSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface StdioChoice {
  /** Ask the engine for a TTY. */
  readonly tty: boolean;
  /** Forward our stdin (its end is the process's end of input). */
  readonly stdin: boolean;
}

export interface StdioFacts {
  /** -T / --no-TTY given. */
  readonly noTty: boolean;
  readonly detach: boolean;
  /** False when the command runs inside a test with fake io: never touch the real stdin then. */
  readonly realStdio: boolean;
  readonly stdinIsTerminal: boolean;
  /** Our stdin is a pipe or a regular file. */
  readonly stdinCarriesData: boolean;
}

export function chooseStdio(f: StdioFacts): StdioChoice {
  if (f.detach || !f.realStdio) return { tty: false, stdin: false };
  const tty = !f.noTty && f.stdinIsTerminal;
  return { tty, stdin: tty || (!f.stdinIsTerminal && f.stdinCarriesData) };
}

/** Whether fd 0 is a pipe or a regular file (not a socket, a device or closed). */
export function stdinCarriesData(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile();
  } catch {
    return false;
  }
}

/**
 * Raw mode on our terminal, and its size sent through `resize` now and on
 * every change. Returns the undo. A failed resize is ignored: the process
 * then keeps the size it had, as with the docker CLI.
 */
export function holdTerminal(resize: (rows: number, cols: number) => Promise<void>): () => void {
  const stdin = process.stdin;
  const out = process.stdout;
  const send = (): void => {
    if (out.isTTY && out.rows > 0 && out.columns > 0) void resize(out.rows, out.columns).catch(() => undefined);
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    // Node's raw mode keeps output processing (ONLCR): the pty's own \r\n would show as \r\r\n, and a
    // full-screen program's bare \n would move the cursor wrongly. Turned off as the docker CLI does;
    // setRawMode(false) puts the saved settings back.
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  }
  send();
  out.on('resize', send);
  return () => {
    out.off('resize', send);
    if (stdin.isTTY) stdin.setRawMode(false);
  };
}

/** Bytes to text for `write`, keeping a UTF-8 character that straddles two chunks whole. */
export function utf8Writer(write: (text: string) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  return (chunk) => {
    const text = decoder.write(chunk);
    if (text) write(text);
  };
}
