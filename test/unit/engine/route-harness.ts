// What the engine's route tests share: a fake image backend with one busybox
// image, an OCI runtime and a monitor that must never be reached (no container
// is started in unit tests), and an HTTP caller over the API socket.
import http from 'node:http';
import { expect } from 'vitest';
import type { MonitorLauncher } from '../../../runtime/containers/monitor.js';
import type { OciRuntime } from '../../../runtime/containers/oci-runtime.js';
import type { ImageBackend } from '../../../runtime/engine/services.js';
import type { ImageRecord } from '../../../runtime/images/index.js';

export const IMAGE_ID = 'sha256:' + 'c'.repeat(64);

/** One image, `busybox:latest`, with the given config on top of Cmd and Env. */
export function busyboxImages(config: ImageRecord['Config'] = {}): { record: ImageRecord; backend: ImageBackend } {
  const record: ImageRecord = {
    Id: IMAGE_ID, RepoTags: ['busybox:latest'], RepoDigests: [], Parent: '', Comment: '', Created: '2024-01-01T00:00:00Z', Author: '', DockerVersion: '',
    Architecture: 'amd64', Os: 'linux', Size: 100, VirtualSize: 100, Config: { Cmd: ['sh'], Env: ['PATH=/bin'], ...config },
    RootFS: { Type: 'layers', Layers: [] }, Metadata: { LastTagTime: '' },
  };
  const backend = {
    list: () => [record],
    inspect: (ref: string) => (['busybox', 'busybox:latest', IMAGE_ID].includes(ref) ? record : undefined),
    rootfsLayers: async () => ['/nonexistent'],
    config: () => record.Config,
  } as unknown as ImageBackend;
  return { record, backend };
}

export const noRuntime: OciRuntime = {
  name: 'fake', path: '/bin/false', root: '/nonexistent',
  start: async () => {}, kill: async () => {}, delete: async () => {}, pause: async () => {}, resume: async () => {}, state: async () => undefined,
};
export const noMonitor: MonitorLauncher = { kind: 'node', launch: async () => { throw new Error('no containers are started in unit tests'); } };

export interface Answer { status: number; body: string; json: unknown }

/** `call(method, path, body)` and `expectError(...)` against the API server listening on `socket()`. */
export function apiCaller(socket: () => string) {
  function call(method: string, path: string, body?: string | object): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = http.request({ socketPath: socket(), method, path, headers: payload !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try { json = JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, body: text, json });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  async function expectError(method: string, path: string, status: number, message: string, body?: string | object): Promise<void> {
    const a = await call(method, path, body);
    expect({ status: a.status, json: a.json }).toEqual({ status, json: { message } });
  }
  return { call, expectError };
}
