import { describe, expect, it } from 'vitest';
import { errorsOf, normalizeYaml, web } from './helpers.js';

describe('command and entrypoint', () => {
  it.each([
    ['npm start', ['npm', 'start']],
    ['sh -c "echo hello world"', ['sh', '-c', 'echo hello world']],
    ["echo 'single $quoted' \"a\\\"b\"", ['echo', 'single $quoted', 'a"b']],
    ['a\\ b  c', ['a b', 'c']],
    ['""', ['']],
  ])('%s', (line, words) => {
    expect(web(`command: ${JSON.stringify(line)}`).command).toEqual(words);
  });

  it('lists are kept; unset prints null in JSON', () => {
    const service = web('entrypoint: ["/bin/sh", "-c"]');
    expect(service.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(service.command).toBeNull();
  });

  it('an unterminated quote', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    command: echo "oops\n')).toEqual([
      'services.web.command: invalid command line string "echo \\"oops": an unterminated double quote',
    ]);
  });
});

describe('command lines like go-shellwords', () => {
  it.each([
    ['echo a\\tb', ['echo', 'a\tb']],
    ['echo "$(date)" `hostname -f`', ['echo', '$(date)', '`hostname -f`']],
    ['echo $(date +%s)', ['echo', '$(date +%s)']],
    ["'it''s'", ['its']],
  ])('%s', (line, words) => {
    expect(web(`command: ${JSON.stringify(line)}`).command).toEqual(words);
  });

  it('an empty command clears the image command: [] is kept', () => {
    expect(web('command: ""').command).toEqual([]);
    expect(web('entrypoint: []').entrypoint).toEqual([]);
  });

  it('stops at an unquoted shell operator, like docker compose, and says so', () => {
    const { project, warnings } = normalizeYaml('services:\n  web:\n    image: x\n    command: echo a && echo b\n');
    expect(project.services.web.command).toEqual(['echo', 'a']);
    expect(warnings).toEqual([
      'service web: command stops before "&& echo b": shell operators are not run (docker compose drops them too); use command: ["sh", "-c", "echo a && echo b"]',
    ]);
  });

  it('an unquoted parenthesis', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    command: echo (a)\n')).toEqual([
      'services.web.command: invalid command line string "echo (a)": unquoted "("',
    ]);
  });
});
