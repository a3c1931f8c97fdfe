// compose exec/run: when a TTY is asked for and when our stdin is forwarded.
import { describe, expect, it } from 'vitest';
import { chooseStdio, type StdioFacts, utf8Writer } from '../../../compose/cli/tty.js';

const facts = (f: Partial<StdioFacts>): StdioFacts => ({ noTty: false, detach: false, realStdio: true, stdinIsTerminal: false, stdinCarriesData: false, ...f });

describe('chooseStdio', () => {
  it('a terminal gets a TTY and is forwarded', () => {
    expect(chooseStdio(facts({ stdinIsTerminal: true }))).toEqual({ tty: true, stdin: true });
  });
  it('-T on a terminal: no TTY, and the terminal is not read', () => {
    expect(chooseStdio(facts({ stdinIsTerminal: true, noTty: true }))).toEqual({ tty: false, stdin: false });
  });
  it('a pipe or a file is forwarded without a TTY, -T or not', () => {
    expect(chooseStdio(facts({ stdinCarriesData: true }))).toEqual({ tty: false, stdin: true });
    expect(chooseStdio(facts({ stdinCarriesData: true, noTty: true }))).toEqual({ tty: false, stdin: true });
  });
  it('a socket or /dev/null left as stdin is not read', () => {
    expect(chooseStdio(facts({}))).toEqual({ tty: false, stdin: false });
  });
  it('detached, or with fake io (tests): neither', () => {
    expect(chooseStdio(facts({ stdinIsTerminal: true, detach: true }))).toEqual({ tty: false, stdin: false });
    expect(chooseStdio(facts({ stdinIsTerminal: true, realStdio: false }))).toEqual({ tty: false, stdin: false });
  });
});

describe('utf8Writer', () => {
  it('keeps a character split across chunks whole', () => {
    const out: string[] = [];
    const w = utf8Writer((t) => out.push(t));
    const bytes = Buffer.from('a€b');
    w(bytes.subarray(0, 2));
    w(bytes.subarray(2));
    expect(out.join('')).toBe('a€b');
    expect(out).toEqual(['a', '€b']);
  });
});
