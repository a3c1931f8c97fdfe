// With a locator from the loader, normalization errors point at their line.

import { describe, expect, it } from 'vitest';
import { memoryFs } from '../../../../compose/load/fs.js';
import { parseComposeYaml } from '../../../../compose/load/parse.js';
import { normalizeProject } from '../../../../compose/normalize/index.js';

function errorsAt(yaml: string): string[] {
  const [doc] = parseComposeYaml(yaml, 'compose.yaml');
  try {
    normalizeProject(doc.data, { projectName: 'demo', workingDir: '/proj', environment: {}, fs: memoryFs({}), locate: doc.locate });
  } catch (err) {
    const e = err as { errors?: { message: string }[]; message: string };
    return e.errors ? e.errors.map((x) => x.message) : [e.message];
  }
  return [];
}

describe('located normalization errors', () => {
  it('an undefined dependency points at the depends_on entry', () => {
    expect(errorsAt('services:\n  web:\n    image: x\n    depends_on:\n      - db\n')).toEqual([
      'compose.yaml:4:5: service "web" depends on undefined service "db": invalid compose project',
    ]);
  });

  it('a bad port points at ports', () => {
    expect(errorsAt('services:\n  web:\n    image: x\n    ports: ["80:x"]\n')).toEqual([
      'compose.yaml:4:5: services.web.ports: invalid container port "x" in port "80:x"',
    ]);
  });

  it('an undefined network points at the network entry', () => {
    expect(errorsAt('services:\n  web:\n    image: x\n    networks:\n      back: {}\n')).toEqual([
      'compose.yaml:5:7: service "web" refers to undefined network back: invalid compose project',
    ]);
  });

  it('a missing env file points at env_file', () => {
    expect(errorsAt('services:\n  web:\n    image: x\n    env_file: .env.local\n')).toEqual([
      'compose.yaml:4:5: env file /proj/.env.local not found: stat /proj/.env.local: no such file or directory',
    ]);
  });
});
