import { describe, expect, it } from 'vitest';
import { errorsOf, normalizeYaml, printed } from './helpers.js';

describe('secrets and configs', () => {
  it('short form to long form; secret target defaults to /run/secrets; modes print in octal', () => {
    const out = printed(
      'services:\n  web:\n    image: x\n    secrets: [token, {source: cert, target: /etc/cert, mode: "0440"}]\n    configs: [app]\nsecrets:\n  token:\n    file: ./token.txt\n  cert:\n    environment: CERT\nconfigs:\n  app:\n    content: "hello"\n',
    );
    expect(out.services.web.secrets).toEqual([
      { source: 'token', target: '/run/secrets/token' },
      { source: 'cert', target: '/etc/cert', mode: '0440' },
    ]);
    expect(out.services.web.configs).toEqual([{ source: 'app' }]);
    expect(out.secrets).toEqual({ cert: { name: 'demo_cert', environment: 'CERT' }, token: { name: 'demo_token', file: '/proj/token.txt' } });
    expect(out.configs).toEqual({ app: { name: 'demo_app', content: 'hello' } });
  });

  it('external secret keeps its key as name', () => {
    expect(printed('services: {}\nsecrets:\n  s:\n    external: true\n').secrets).toEqual({ s: { name: 's', external: true } });
  });

  it('undefined secret and config', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    secrets: [a]\n    configs: [b]\n')).toEqual([
      'service "web" refers to undefined config b: invalid compose project',
      'service "web" refers to undefined secret a: invalid compose project',
    ]);
  });

  it('a secret with neither file nor environment', () => {
    expect(errorsOf('services: {}\nsecrets:\n  s:\n    labels: [a=b]\n')).toEqual(['secret "s" must declare either `file` or `environment`: invalid compose project']);
  });
});

describe('secret and config values from the environment', () => {
  it('are loaded into the project but not printed', () => {
    const yaml = 'services: {}\nsecrets:\n  s:\n    environment: TOKEN\nconfigs:\n  c:\n    environment: CONF\n  inline:\n    content: hi\n';
    const environment = { TOKEN: 't0k3n', CONF: 'x=1' };
    const { project } = normalizeYaml(yaml, { environment });
    expect(project.secrets?.s.content).toBe('t0k3n');
    expect(project.configs?.c.content).toBe('x=1');
    const out = printed(yaml, { environment });
    expect(out.secrets.s).toEqual({ name: 'demo_s', environment: 'TOKEN' });
    expect(out.configs).toEqual({ c: { name: 'demo_c', environment: 'CONF' }, inline: { name: 'demo_inline', content: 'hi' } });
  });
});
