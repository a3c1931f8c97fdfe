import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../../compose/load/index.js';
import { parseIncludeEntries } from '../../../../compose/load/include.js';
import { rejected, tempProject, yaml } from './helpers.js';

const load = (dir: string, extra: Partial<Parameters<typeof loadProject>[0]> = {}) =>
  loadProject({ workingDir: dir, environment: {}, skip: { normalize: true }, ...extra });

describe('include', () => {
  it('parses the short and long forms', () => {
    expect(parseIncludeEntries(['a.yaml', { path: ['b.yaml', 'c.yaml'], project_directory: 'b', env_file: 'b.env' }])).toEqual([
      { paths: ['a.yaml'] },
      { paths: ['b.yaml', 'c.yaml'], projectDirectory: 'b', envFiles: ['b.env'] },
    ]);
  });

  it('imports services, networks and volumes; relative paths point into the included project', async () => {
    const dir = tempProject({
      'compose.yaml': 'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n',
      'db/compose.yaml': yaml`
        services:
          db:
            image: postgres
            build: ./image
            volumes: ["./init:/docker-entrypoint-initdb.d", "data:/var/lib/postgresql/data"]
            env_file: db.env
        volumes:
          data: {}
        secrets:
          pw: {file: ./pw.txt}
      `,
    });
    const { model } = await load(dir);
    expect(model).toEqual({
      name: 'app',
      services: {
        web: { image: 'web', depends_on: { db: { condition: 'service_started', required: true } } },
        db: {
          image: 'postgres',
          build: { context: `${dir}/db/image` },
          volumes: [`${dir}/db/init:/docker-entrypoint-initdb.d`, 'data:/var/lib/postgresql/data'],
          env_file: [`${dir}/db/db.env`],
        },
      },
      volumes: { data: {} },
      secrets: { pw: { file: `${dir}/db/pw.txt` } },
    });
  });

  it('an included project is interpolated with its own .env', async () => {
    const dir = tempProject({
      'compose.yaml': 'include: [sub/compose.yaml]\nservices:\n  web: {image: "web:${TAG:-none}"}\n',
      'sub/compose.yaml': 'services:\n  api: {image: "api:${TAG}"}\n',
      'sub/.env': 'TAG=from-sub',
    });
    const { model } = await load(dir);
    expect(model['services']).toEqual({ web: { image: 'web:none' }, api: { image: 'api:from-sub' } });
  });

  it('long form: project_directory and env_file', async () => {
    const dir = tempProject({
      'compose.yaml': 'include:\n  - path: lib/svc.yaml\n    project_directory: lib/root\n    env_file: lib/custom.env\n',
      'lib/svc.yaml': 'services:\n  svc: {image: "svc:${V}", build: ./ctx}\n',
      'lib/custom.env': 'V=7',
    });
    const { model } = await load(dir);
    expect(model['services']).toEqual({ svc: { image: 'svc:7', build: { context: `${dir}/lib/root/ctx` } } });
  });

  it('a service the including file defines too is merged over the included one', async () => {
    const dir = tempProject({
      'compose.yaml': 'include: [other.yaml]\nservices:\n  api:\n    environment: {LOCAL: "1"}\n',
      'other.yaml': 'services:\n  api: {image: api, environment: {BASE: "1"}}\n',
    });
    const { model } = await load(dir);
    expect(model['services']).toEqual({ api: { image: 'api', environment: { BASE: '1', LOCAL: '1' } } });
  });

  it('nested includes resolve relative to each included file', async () => {
    const dir = tempProject({
      'compose.yaml': 'include: [a/compose.yaml]\n',
      'a/compose.yaml': 'include: [b/compose.yaml]\nservices: {a: {image: a}}\n',
      'a/b/compose.yaml': 'services: {b: {image: b, build: .}}\n',
    });
    const { model } = await load(dir);
    expect(model['services']).toEqual({ a: { image: 'a' }, b: { image: 'b', build: { context: `${dir}/a/b` } } });
  });

  it('an include cycle is an error naming the files', async () => {
    const dir = tempProject({
      'compose.yaml': 'include: [a.yaml]\n',
      'a.yaml': 'include: [b.yaml]\nservices: {}\n',
      'b.yaml': 'include: [a.yaml]\nservices: {}\n',
    });
    const err = await rejected(load(dir));
    expect(err.message).toBe('b.yaml:1:11: include cycle: a.yaml -> b.yaml -> a.yaml');
  });

  it('a missing included file is an error at its line', async () => {
    const dir = tempProject({ 'compose.yaml': 'services: {}\ninclude:\n  - nope.yaml\n' });
    const err = await rejected(load(dir));
    expect(err.message).toBe('compose.yaml:3:5: included file nope.yaml does not exist');
  });
});
