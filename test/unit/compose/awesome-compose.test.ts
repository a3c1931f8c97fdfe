// `tscompose config` on every real-world stack of docker/awesome-compose:
// each loads without error into a complete project whose services, images,
// build contexts and ports match the file, and whose JSON is pinned in
// test/fixtures/awesome-compose/<stack>.json (checked by hand against what
// docker compose prints for a few of them).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../compose/load/index.js';
import { projectToJson, projectToYaml } from '../../../compose/serialize/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const awesome = resolve(repoRoot, '..', 'shared', 'reference', 'awesome-compose');
const present = existsSync(awesome);
if (!present && process.env.CI) throw new Error(`awesome-compose stacks not found at ${awesome}`);
const stacks = present ? readdirSync(awesome).filter((d) => statSync(join(awesome, d)).isDirectory()).sort() : [];

function composeFile(stack: string): string {
  const file = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'].map((n) => join(awesome, stack, n)).find(existsSync);
  if (!file) throw new Error(`no compose file in ${stack}`);
  return file;
}

type Raw = { services: Record<string, { image?: string; build?: string | { context?: string }; ports?: unknown[] }> };

describe.skipIf(!present)('awesome-compose', () => {
  it('has all 39 stacks', () => {
    expect(stacks.length).toBe(39);
  });

  it.each(stacks)('%s', async (stack) => {
    const file = composeFile(stack);
    const { project, warnings } = await loadProject({
      files: [file],
      workingDir: join(awesome, stack),
      environment: {},
      homeDir: '/home/user',
    });
    for (const w of warnings) expect(w).toMatch(/obsolete|is not supported yet|is not set/);

    const raw = parse(readFileSync(file, 'utf8')) as Raw;
    expect(Object.keys(project.services).sort()).toEqual(Object.keys(raw.services).sort());
    for (const [name, rawService] of Object.entries(raw.services)) {
      const service = project.services[name];
      if (rawService.image && !rawService.image.includes('$')) expect(service.image).toBe(rawService.image);
      if (rawService.build) {
        const context = typeof rawService.build === 'string' ? rawService.build : rawService.build.context ?? '.';
        expect(service.build?.context).toBe(resolve(join(awesome, stack), context));
      }
      expect(service.image ?? service.build).toBeDefined();
      expect((service.ports ?? []).length).toBeGreaterThanOrEqual((rawService.ports ?? []).length);
      for (const port of service.ports ?? []) {
        expect(typeof port.target).toBe('number');
        if (port.published !== undefined) expect(typeof port.published).toBe('string');
      }
    }
    // Paths are shown relative to a placeholder so the snapshot does not depend on where the checkout is.
    const json = projectToJson(project).split(awesome).join('<awesome-compose>');
    await expect(`${json}\n`).toMatchFileSnapshot(join(repoRoot, 'test', 'fixtures', 'awesome-compose', `${stack}.json`));

    // The printed YAML is itself a compose file that loads back to the same project.
    const again = await loadProject({
      files: ['-'],
      stdin: projectToYaml(project),
      workingDir: join(awesome, stack),
      environment: {},
      homeDir: '/home/user',
      skip: { interpolate: true },
    });
    expect(JSON.parse(projectToJson(again.project))).toEqual(JSON.parse(projectToJson(project)));
  });
});
