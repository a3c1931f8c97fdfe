import { describe, expect, it } from 'vitest';
import { interpolateDocument } from '../../../../compose/load/interpolate.js';
import { parseComposeYaml, TaggedValue } from '../../../../compose/load/parse.js';
import { thrown, yaml } from './helpers.js';

function interpolate(src: string, env: Record<string, string> = {}) {
  const [doc] = parseComposeYaml(src, '/p/compose.yaml');
  return interpolateDocument(doc!.data, { lookup: (k) => env[k], file: '/p/compose.yaml', baseDir: '/p', locate: doc!.locateValue });
}

describe('interpolateDocument', () => {
  it('substitutes values at every depth, never keys', () => {
    const result = interpolate(
      yaml`
        services:
          web:
            image: "nginx:\${TAG:-latest}"
            environment:
              \${KEY}: $VALUE
            command: ["echo", "$$HOME", "\${WHO}"]
      `,
      { KEY: 'k', VALUE: 'v', WHO: 'me' },
    );
    expect(result.data).toEqual({ services: { web: { image: 'nginx:latest', environment: { '${KEY}': 'v' }, command: ['echo', '$HOME', 'me'] } } });
  });

  it('warns once per use of an unset variable and uses an empty string', () => {
    const result = interpolate('services:\n  web:\n    image: "x${MISSING}"\n    user: $MISSING\n');
    expect(result.data).toEqual({ services: { web: { image: 'x', user: '' } } });
    expect(result.warnings).toEqual([
      'The "MISSING" variable is not set. Defaulting to a blank string.',
      'The "MISSING" variable is not set. Defaulting to a blank string.',
    ]);
  });

  it('casts interpolated strings where the schema wants numbers or booleans', () => {
    const result = interpolate(
      yaml`
        services:
          web:
            scale: \${N}
            read_only: "\${RO}"
            privileged: "yes"
            cpus: "\${CPUS}"
            healthcheck: { retries: "\${R}", disable: "false" }
            deploy: { replicas: "\${N}" }
            ports: [{ target: "\${PORT}", published: "\${PORT}" }]
            ulimits: { nofile: { soft: "\${N}", hard: "20" }, nproc: "\${N}" }
        volumes:
          data: { external: "\${EXT}" }
      `,
      { N: '3', RO: 'true', CPUS: '0.5', R: '4', PORT: '8080', EXT: 'FALSE' },
    );
    expect(result.data).toEqual({
      services: {
        web: {
          scale: 3,
          read_only: true,
          privileged: true,
          cpus: 0.5,
          healthcheck: { retries: 4, disable: false },
          deploy: { replicas: 3 },
          ports: [{ target: 8080, published: '8080' }],
          ulimits: { nofile: { soft: 3, hard: 20 }, nproc: 3 },
        },
      },
      volumes: { data: { external: false } },
    });
    expect(result.warnings).toEqual(['"yes" for boolean is not supported by YAML 1.2, please use `true`']);
  });

  it('leaves values that are already numbers or booleans alone', () => {
    expect(interpolate('services:\n  web:\n    scale: 2\n    tty: true\n').data).toEqual({ services: { web: { scale: 2, tty: true } } });
  });

  it('interpolates inside !override and keeps the marker', () => {
    const result = interpolate('services:\n  web:\n    command: !override ["${A}"]\n', { A: 'run' });
    expect((result.data['services'] as Record<string, Record<string, unknown>>)['web']!['command']).toEqual(new TaggedValue('!override', ['run']));
  });

  it('a required variable names the file, line and column of the value', () => {
    const src = yaml`
      services:
        db:
          image: postgres
          environment:
            PGDATA: /data
            OTHER: x
            POSTGRES_PASSWORD: \${DB_PASSWORD:?set it in .env}
    `;
    expect(thrown(() => interpolate(src)).message).toBe('compose.yaml:7:26: required variable DB_PASSWORD is missing a value: set it in .env');
  });

  it('reports every interpolation error at once', () => {
    const err = thrown(() => interpolate('services:\n  a:\n    image: ${X?}\n  b:\n    image: ${Y:?no Y}\n'));
    expect(err.message).toBe(
      'compose.yaml:3:12: required variable X is missing a value\ncompose.yaml:5:12: required variable Y is missing a value: no Y',
    );
  });

  it('an invalid template names the path', () => {
    expect(thrown(() => interpolate('services:\n  web:\n    image: "${TAG"\n')).message).toBe(
      'compose.yaml:3:12: invalid interpolation format for services.web.image: "${TAG"; you may need to escape any $ with another $',
    );
  });

  it('a value that cannot be cast is an error', () => {
    expect(thrown(() => interpolate('services:\n  web:\n    scale: "${N}"\n', { N: 'many' })).message).toBe(
      'compose.yaml:3:12: services.web.scale: "many" is not an integer',
    );
    expect(thrown(() => interpolate('services:\n  web:\n    tty: "${T}"\n', { T: 'maybe' })).message).toBe(
      'compose.yaml:3:10: services.web.tty: "maybe" is not a boolean (use true or false)',
    );
  });
});
