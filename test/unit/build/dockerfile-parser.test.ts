// The Dockerfile parser, fixture first: each Dockerfile text with the
// instructions it gives, and each malformed one with its exact error.

import { describe, expect, test } from 'vitest';
import { parseDockerfile, type Instruction } from '../../../runtime/build/dockerfile-parser.js';

const brief = (ins: Instruction[]) => ins.map((i) => ({ k: i.keyword, a: i.args, l: i.line, ...(i.json ? { j: i.json } : {}), ...(Object.keys(i.flags).length ? { f: i.flags } : {}) }));

describe('parseDockerfile', () => {
  const cases: Array<[string, string, ReturnType<typeof brief>]> = [
    ['keywords in any case, blank lines and comments skipped', 'from busybox\n\n# a comment\n  # indented comment\nrun echo hi\n', [
      { k: 'FROM', a: 'busybox', l: 1 },
      { k: 'RUN', a: 'echo hi', l: 5 },
    ]],
    ['continuations join lines; comments and blank lines inside are dropped', 'FROM a\nRUN echo one \\\n  # not a line\n\n    && echo two\nCMD x\n', [
      { k: 'FROM', a: 'a', l: 1 },
      { k: 'RUN', a: 'echo one     && echo two', l: 2 },
      { k: 'CMD', a: 'x', l: 6 },
    ]],
    ['exec form is JSON; invalid JSON is the shell form', 'FROM a\nCMD ["sh", "-c", "echo $HOME"]\nENTRYPOINT [not json]\n', [
      { k: 'FROM', a: 'a', l: 1 },
      { k: 'CMD', a: '["sh", "-c", "echo $HOME"]', l: 2, j: ['sh', '-c', 'echo $HOME'] },
      { k: 'ENTRYPOINT', a: '[not json]', l: 3 },
    ]],
    ['flags come first', 'FROM --platform=linux/amd64 a AS b\nCOPY --from=b --chown=1:2 /x /y\nHEALTHCHECK --interval=5s --retries=3 CMD true\n', [
      { k: 'FROM', a: 'a AS b', l: 1, f: { platform: 'linux/amd64' } },
      { k: 'COPY', a: '/x /y', l: 2, f: { from: 'b', chown: '1:2' } },
      { k: 'HEALTHCHECK', a: 'CMD true', l: 3, f: { interval: '5s', retries: '3' } },
    ]],
    ['the escape directive changes the continuation character', '# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo ok\n', [
      { k: 'FROM', a: 'a', l: 2 },
      { k: 'RUN', a: 'dir c:\\   && echo ok', l: 3 },
    ]],
    ['a directive after an instruction is a comment', 'FROM a\n# escape=`\nRUN echo \\\n  b\n', [
      { k: 'FROM', a: 'a', l: 1 },
      { k: 'RUN', a: 'echo   b', l: 3 },
    ]],
    ['a continuation at the end of the file ends the instruction', 'FROM a\nRUN echo \\', [
      { k: 'FROM', a: 'a', l: 1 },
      { k: 'RUN', a: 'echo', l: 2 },
    ]],
    ['CRLF line ends', 'FROM a\r\nRUN echo hi\r\n', [
      { k: 'FROM', a: 'a', l: 1 },
      { k: 'RUN', a: 'echo hi', l: 2 },
    ]],
  ];
  test.each(cases)('%s', (_name, text, want) => {
    expect(brief(parseDockerfile(text).instructions)).toEqual(want);
  });

  test('directives: syntax and escape are read, duplicates refused', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM a\n');
    expect(df.syntax).toBe('docker/dockerfile:1');
    expect(df.escape).toBe('`');
  });

  test('original text of an instruction for the step lines', () => {
    const [, run] = parseDockerfile('FROM a\nrun   echo \\\n hi\n').instructions;
    expect(run.original).toBe('RUN echo  hi');
  });

  const errors: Array<[string, string, string]> = [
    ['unknown instruction', 'FROM a\n\nFORM b\n', 'Dockerfile:3: unknown instruction: FORM'],
    ['unknown flag', 'FROM a\nCOPY --own=1 a b\n', 'Dockerfile:2: unknown flag: --own (COPY takes --from, --chown, --chmod, --link)'],
    ['BuildKit-only flag', 'FROM a\nRUN --mount=type=cache,target=/x make\n', 'Dockerfile:2: RUN --mount needs BuildKit; copy what the command needs with COPY instead'],
    ['heredoc', 'FROM a\nRUN <<EOF\necho hi\nEOF\n', 'Dockerfile:2: heredocs (<<EOF) need BuildKit and are not supported by this builder; write the content to a file in the build context and COPY it'],
    ['FROM with two words', 'FROM a b\n', 'Dockerfile:1: FROM requires either one argument, or three: FROM <source> [AS <name>]'],
    ['bad stage name', 'FROM a AS 1st\n', 'Dockerfile:1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ['COPY with one argument', 'FROM a\nCOPY onlyone\n', 'Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['SHELL not JSON', 'FROM a\nSHELL /bin/bash -c\n', 'Dockerfile:2: SHELL requires the arguments to be in JSON form: SHELL ["executable", "parameters"]'],
    ['RUN without a command', 'FROM a\nRUN\n', 'Dockerfile:2: RUN requires at least one argument'],
    ['HEALTHCHECK without CMD', 'FROM a\nHEALTHCHECK curl x\n', 'Dockerfile:2: HEALTHCHECK takes NONE or CMD followed by a command'],
    ['ONBUILD', 'FROM a\nONBUILD RUN x\n', 'Dockerfile:2: ONBUILD is not supported by this builder; put the instructions in the Dockerfile of the image that uses this one'],
    ['bad escape directive', '# escape=x\nFROM a\n', "Dockerfile:1: invalid escape token 'x' does not match ` or \\"],
    ['duplicate directive', '# escape=`\n# escape=\\\nFROM a\n', 'Dockerfile:2: only one escape parser directive can be used'],
    ['duplicate flag', 'FROM a\nCOPY --from=a --from=b x y\n', 'Dockerfile:2: duplicate flag: --from'],
    ['nothing but comments', '# just a comment\n\n', 'Dockerfile: the Dockerfile has no instructions'],
  ];
  test.each(errors)('error: %s', (_name, text, message) => {
    expect(() => parseDockerfile(text)).toThrow(message);
    try {
      parseDockerfile(text);
    } catch (e) {
      expect((e as Error).message).toBe(message);
      expect((e as { statusCode: number }).statusCode).toBe(400);
    }
  });

  test('the file name in errors is the one asked for', () => {
    expect(() => parseDockerfile('BOGUS x\n', 'docker/app.Dockerfile')).toThrow('docker/app.Dockerfile:1: unknown instruction: BOGUS');
  });
});
