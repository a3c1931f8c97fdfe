// Docker's HostConfig.Links as the hosts store wants them. The API takes
// `target:alias` (or just `target`); inspect shows `/target:/container/alias`;
// both come in, slashes go.

import { InvalidNetworkConfigError } from './errors.js';
import type { LinkAlias } from './types.js';

export function parseLink(link: string): LinkAlias {
  const [rawTarget, rawAlias, extra] = link.split(':');
  const target = (rawTarget ?? '').replace(/^\/+/, '');
  const alias = (rawAlias ?? target).split('/').filter(Boolean).pop() ?? '';
  if (!target || !alias || extra !== undefined || /\s/.test(link)) throw new InvalidNetworkConfigError(`invalid link "${link}": expected CONTAINER or CONTAINER:ALIAS`);
  return { target, alias };
}

export function parseLinks(links: readonly string[] | null | undefined): LinkAlias[] {
  return (links ?? []).map(parseLink);
}
