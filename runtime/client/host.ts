// Where the engine is: `--host`, then TSCOMPOSE_HOST, then DOCKER_HOST, then
// our own default socket. Docker's address forms are accepted so the same
// string works with the docker CLI.

export const DEFAULT_ENGINE_SOCKET = '/run/tscompose/engine.sock';

export type EngineAddress =
  | { kind: 'unix'; socketPath: string; display: string }
  | { kind: 'tcp'; host: string; port: number; display: string };

export class EngineHostError extends Error {
  override readonly name = 'EngineHostError';
}

/** Parses `unix:///path`, `/path`, `tcp://host:port`, `http://host:port`. */
export function parseEngineHost(value: string): EngineAddress {
  const v = value.trim();
  if (v === '') throw new EngineHostError('engine host is empty: use unix:///path/to/socket or tcp://host:port');
  if (v.startsWith('/')) return { kind: 'unix', socketPath: v, display: `unix://${v}` };
  const m = /^([a-z]+):\/\/(.*)$/.exec(v);
  if (!m) throw new EngineHostError(`invalid engine host "${value}": use unix:///path/to/socket or tcp://host:port`);
  const [, scheme, rest] = m;
  if (scheme === 'unix') {
    if (!rest.startsWith('/')) throw new EngineHostError(`invalid engine host "${value}": a unix socket path must be absolute (unix:///run/x.sock)`);
    return { kind: 'unix', socketPath: rest, display: v };
  }
  if (scheme === 'tcp' || scheme === 'http') {
    const hp = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(rest);
    if (!hp) throw new EngineHostError(`invalid engine host "${value}": expected tcp://host:port`);
    const host = hp[1].replace(/^\[|\]$/g, '');
    const port = hp[2] ? Number(hp[2]) : 2375;
    if (port < 1 || port > 65535) throw new EngineHostError(`invalid engine host "${value}": port ${port} is out of range`);
    return { kind: 'tcp', host, port, display: `tcp://${hp[1]}:${port}` };
  }
  if (scheme === 'ssh' || scheme === 'https') {
    throw new EngineHostError(`engine host "${value}": ${scheme}:// is not supported; use unix:// or tcp://`);
  }
  throw new EngineHostError(`invalid engine host "${value}": unknown scheme ${scheme}://`);
}

/** The address to use: the explicit option, else the environment, else the default socket. */
export function resolveEngineHost(explicit?: string, env: NodeJS.ProcessEnv = process.env): EngineAddress {
  const value = explicit || env.TSCOMPOSE_HOST || env.DOCKER_HOST || `unix://${DEFAULT_ENGINE_SOCKET}`;
  return parseEngineHost(value);
}
