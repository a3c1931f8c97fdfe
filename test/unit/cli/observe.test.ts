// One snapshot of the engine for the planner.
import { describe, expect, test } from 'vitest';
import { observeProject } from '../../../compose/cli/executor/observe.js';
import { EngineApiError } from '../../../runtime/client/index.js';
import { FakeEngine } from './fake-engine.js';

describe('observeProject', () => {
  test('lists by the project label, keeps declared unlabeled networks, splits image tags', async () => {
    const engine = new FakeEngine();
    engine.addImage('busybox');
    await engine.createNetwork({ Name: 'app_default', Labels: { 'com.docker.compose.project': 'app', 'com.docker.compose.network': 'default' } });
    await engine.createNetwork({ Name: 'shared' });
    await engine.createNetwork({ Name: 'someone_else' });
    await engine.createContainer({ Image: 'busybox', Labels: { 'com.docker.compose.project': 'app' } }, { name: 'app-x-1' });
    await engine.createContainer({ Image: 'busybox', Labels: { 'com.docker.compose.project': 'other' } }, { name: 'other-x-1' });
    const observed = await observeProject(engine, 'app', { networks: ['shared'], volumes: [] });
    expect(observed.containers.map((c) => [c.name, c.state])).toEqual([['app-x-1', 'created']]);
    expect(observed.networks.map((n) => n.name)).toEqual(['app_default', 'shared']);
    expect(observed.images.map((i) => i.ref)).toEqual(['busybox:latest']);
    expect(engine.calls).toContain('listContainers {"label":["com.docker.compose.project=app"]}');
  });

  test('an engine without networks or volumes (404, 501) has none', async () => {
    const engine = new FakeEngine();
    engine.listNetworks = async () => {
      throw new EngineApiError(501, 'GET', '/networks', 'this engine runs without networks');
    };
    engine.listVolumes = async () => {
      throw new EngineApiError(404, 'GET', '/volumes', 'page not found');
    };
    const observed = await observeProject(engine, 'app');
    expect([observed.networks, observed.volumes]).toEqual([[], []]);
    engine.listNetworks = async () => {
      throw new EngineApiError(500, 'GET', '/networks', 'disk on fire');
    };
    await expect(observeProject(engine, 'app')).rejects.toThrow('disk on fire');
  });
});
