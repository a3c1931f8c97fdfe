// Exact schema error texts, each pointing at its line and column.

import { describe, expect, it } from 'vitest';
import { parseComposeYaml } from '../../../../compose/load/parse.js';
import { validateDocument } from '../../../../compose/validate.js';
import { INVALID_DOCUMENTS } from '../invalid-documents.js';

function errorsOf(yaml: string): string[] {
  const [doc] = parseComposeYaml(yaml, 'compose.yaml');
  return validateDocument(doc.data, 'compose.yaml', doc.locate).map((e) => e.message);
}

const CASES: [string, string, string[]][] = [
  ['ports as a mapping', 'services:\n  web:\n    image: x\n    ports: {a: 1}\n', ['compose.yaml:4:5: services.web.ports must be a list']],
  ['unknown key', 'services:\n  web:\n    image: x\n    prots: ["80"]\n', ["compose.yaml:4:5: services.web additional property 'prots' is not allowed"]],
  [
    'depends_on condition',
    'services:\n  web:\n    image: x\n    depends_on:\n      db:\n        condition: started\n',
    ['compose.yaml:6:9: services.web.depends_on.db.condition must be one of: service_started, service_healthy, service_completed_successfully'],
  ],
  ['depends_on missing condition', 'services:\n  web:\n    image: x\n    depends_on:\n      db:\n        required: true\n', ["compose.yaml:5:7: services.web.depends_on.db must have 'condition'"]],
  ['services as a list', 'services:\n  - web\n', ['compose.yaml:1:1: services must be a mapping']],
  ['service as a string', 'services:\n  web: nginx\n', ['compose.yaml:2:3: services.web must be a mapping']],
  ['invalid service name', 'services:\n  "we b":\n    image: x\n', [`compose.yaml:2:3: services: "we b" is not a valid service name: use only letters, digits, '.', '_' and '-'`]],
  ['top-level typo', 'servics: {}\n', ["compose.yaml:1:1: the compose file additional property 'servics' is not allowed"]],
  ['environment as a string', 'services:\n  web:\n    image: x\n    environment: A=1\n', ['compose.yaml:4:5: services.web.environment must be a mapping or a list']],
  ['command list of numbers', 'services:\n  web:\n    image: x\n    command: [sleep, 10]\n', ['compose.yaml:4:22: services.web.command[1] must be a string']],
  ['duplicate ports', 'services:\n  web:\n    image: x\n    ports: ["80:80", "80:80"]\n', ['compose.yaml:4:22: services.web.ports has a duplicate entry: "80:80"']],
  ['restart as a boolean', 'services:\n  web:\n    image: x\n    restart: false\n', ['compose.yaml:4:5: services.web.restart must be a string']],
  ['privileged as a number', 'services:\n  web:\n    image: x\n    privileged: 1\n', ['compose.yaml:4:5: services.web.privileged must be a boolean or a string']],
  ['gpus as a string', 'services:\n  web:\n    image: x\n    gpus: some\n', ['compose.yaml:4:5: services.web.gpus must be "all" or a list']],
  ['gpus item not a mapping', 'services:\n  web:\n    image: x\n    gpus: [3]\n', ['compose.yaml:4:12: services.web.gpus[0] must be a mapping']],
  ['cpu_percent above 100', 'services:\n  web:\n    image: x\n    cpu_percent: 150\n', ['compose.yaml:4:5: services.web.cpu_percent must be <= 100']],
  ['volume bad type', 'services:\n  web:\n    image: x\n    volumes:\n      - type: disk\n        target: /a\n', ['compose.yaml:5:9: services.web.volumes[0].type must be one of: bind, volume, tmpfs, cluster, npipe, image']],
  ['deploy memory as a number', 'services:\n  web:\n    image: x\n    deploy:\n      resources:\n        limits:\n          memory: 512\n', ['compose.yaml:7:11: services.web.deploy.resources.limits.memory must be a string']],
  ['secret as null', 'services: {}\nsecrets:\n  token:\n', ['compose.yaml:3:3: secrets.token must be a mapping']],
  ['invalid volume name', 'services: {}\nvolumes:\n  "my data": {}\n', [`compose.yaml:3:3: volumes: "my data" is not a valid volume name: use only letters, digits, '.', '_' and '-'`]],
  [
    'all errors collected',
    'services:\n  web:\n    image: 1\n    ports: 80\n  db:\n    image: x\n    restart: [always]\n',
    ['compose.yaml:3:5: services.web.image must be a string', 'compose.yaml:4:5: services.web.ports must be a list', 'compose.yaml:7:5: services.db.restart must be a string'],
  ],
];

describe('schema error messages', () => {
  it.each(CASES)('%s', (_name, yaml, expected) => {
    expect(errorsOf(yaml)).toEqual(expected);
  });

  it('accepts a valid file', () => {
    expect(errorsOf('services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n')).toEqual([]);
  });

  it.each(INVALID_DOCUMENTS.map((d) => [d.name, d.yaml] as const))('one located line for: %s', (_name, yaml) => {
    const errors = errorsOf(yaml);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/^compose\.yaml:\d+:\d+: \S/);
  });

  it('validates 1,000 services quickly once compiled', () => {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) {
      services[`s${i}`] = { image: 'busybox', ports: [`${8000 + i}:80`], environment: { A: '1' }, volumes: ['./d:/d'], depends_on: i ? [`s${i - 1}`] : [] };
    }
    validateDocument({ services: {} }, 'x', () => undefined);
    const start = performance.now();
    expect(validateDocument({ services }, 'compose.yaml', () => undefined)).toEqual([]);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('pattern errors explain the rule', () => {
  it.each([
    ['services:\n  web:\n    image: x\n    pull_policy: sometimes\n', 'compose.yaml:4:5: services.web.pull_policy "sometimes" is invalid: use always, never, missing, build, if_not_present, refresh, daily, weekly or every_<duration> (like every_12h)'],
    ['services:\n  web:\n    image: x\n    container_name: "-x"\n', `compose.yaml:4:5: services.web.container_name "-x" is invalid: use at least two characters, starting with a letter or digit, then letters, digits, '.', '_' or '-'`],
  ])('%s', (yaml, expected) => {
    expect(errorsOf(yaml)).toEqual([expected]);
  });
});
