import { describe, expect, it } from 'vitest';
import { errorsOf, printed, web } from './helpers.js';

describe('environment', () => {
  it('list form to a map; a bare name takes the project environment, else stays unset (null)', () => {
    expect(web('environment: ["A=b", "B", "C=", "D=x=y", "HOME_SET"]', { environment: { HOME_SET: '/h' } }).environment).toEqual({
      A: 'b',
      B: null,
      C: '',
      D: 'x=y',
      HOME_SET: '/h',
    });
  });

  it('mapping form: scalars become strings, null resolved from the environment', () => {
    expect(web('environment:\n  N: 1\n  T: true\n  E:\n  U:', { environment: { E: 'from-env' } }).environment).toEqual({
      N: '1',
      T: 'true',
      E: 'from-env',
      U: null,
    });
  });

  it('env_file content is merged under environment, environment wins, env_file not printed', () => {
    const files = { '/proj/.web.env': 'A=from-file\nB=from-file\n# comment\nexport C="quoted value"\n' };
    const service = web('env_file: .web.env\nenvironment:\n  A: own', { files });
    expect(service.environment).toEqual({ A: 'own', B: 'from-file', C: 'quoted value' });
    expect(service.env_file).toBeUndefined();
  });

  it('several env files: later ones win', () => {
    const files = { '/proj/a.env': 'X=1\nY=1\n', '/proj/b.env': 'Y=2\n' };
    expect(web('env_file: [a.env, b.env]', { files }).environment).toEqual({ X: '1', Y: '2' });
  });

  it('a missing optional env file is skipped', () => {
    expect(web('env_file:\n  - path: nope.env\n    required: false\nenvironment: [A=1]').environment).toEqual({ A: '1' });
  });

  it('a missing required env file is an error naming the absolute path', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    env_file: missing.env\n')).toEqual([
      'env file /proj/missing.env not found: stat /proj/missing.env: no such file or directory',
    ]);
  });

  it('labels and sysctls as maps of strings', () => {
    const service = web('labels: ["a=1", "b"]\nsysctls:\n  net.core.somaxconn: 1024');
    expect(service.labels).toEqual({ a: '1', b: '' });
    expect(service.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
  });

  it('extra_hosts from a list and a mapping print as sorted host=ip lines', () => {
    expect(web('extra_hosts: ["db:10.0.0.2", "v6=[::1]", "many=1.1.1.1,2.2.2.2"]').extra_hosts).toEqual([
      'db=10.0.0.2',
      'many=1.1.1.1',
      'many=2.2.2.2',
      'v6=::1',
    ]);
    expect(web('extra_hosts:\n  b: 10.0.0.2\n  a: [1.1.1.1]').extra_hosts).toEqual(['a=1.1.1.1', 'b=10.0.0.2']);
  });

  it('extra_hosts without an ip is an error', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    extra_hosts: ["db"]\n')).toEqual([
      'services.web.extra_hosts: invalid additional host, missing IP: db',
    ]);
  });

  it('extends project x- extensions to the YAML model only', () => {
    expect(printed('x-common: {a: 1}\nservices:\n  web:\n    image: x\n    x-note: hi\n')).toMatchObject({ 'x-common': { a: 1 } });
    expect(printed('services:\n  web:\n    image: x\n    x-note: hi\n').services.web['x-note']).toBeUndefined();
  });
});

describe('env_file format raw', () => {
  it('takes values literally', () => {
    const files = { '/proj/raw.env': 'A="quoted" # not a comment\nB=$HOME\n' };
    expect(web('env_file:\n  - path: raw.env\n    format: raw', { files }).environment).toEqual({ A: '"quoted" # not a comment', B: '$HOME' });
  });
});
