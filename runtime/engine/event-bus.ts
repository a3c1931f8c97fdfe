// Engine events: every lifecycle change is published here, kept in a ring
// (for `since`), and streamed to `GET /events` subscribers with Docker's
// filters (type, container, image, event, label, network, volume).

import type { EngineEvent, Filters } from '../client/types.js';
import { badParameter } from './api-error.js';

const EVENT_FILTERS = new Set(['type', 'container', 'image', 'event', 'label', 'network', 'volume', 'daemon', 'scope', 'plugin', 'node', 'service', 'secret', 'config']);

export function validateEventFilters(f: Filters): void {
  for (const k of Object.keys(f)) if (!EVENT_FILTERS.has(k)) throw badParameter(`invalid filter '${k}'`);
}

export function eventMatches(ev: EngineEvent, f: Filters): boolean {
  const attrs = ev.Actor.Attributes;
  if (f.type?.length && !f.type.includes(ev.Type)) return false;
  if (f.event?.length && !f.event.some((e) => e === ev.Action || ev.Action.startsWith(`${e}:`))) return false;
  const idOrName = (list: string[] | undefined): boolean => !list?.length || list.some((x) => ev.Actor.ID === x || ev.Actor.ID.startsWith(x) || attrs.name === x);
  if (f.container?.length && (ev.Type !== 'container' || !idOrName(f.container))) return false;
  if (f.image?.length && !f.image.some((i) => attrs.image === i || (ev.Type === 'image' && (ev.Actor.ID === i || attrs.name === i)))) return false;
  if (f.network?.length && (ev.Type !== 'network' || !idOrName(f.network))) return false;
  if (f.volume?.length && (ev.Type !== 'volume' || !idOrName(f.volume))) return false;
  for (const l of f.label ?? []) {
    const i = l.indexOf('=');
    if (i < 0 ? !(l in attrs) : attrs[l.slice(0, i)] !== l.slice(i + 1)) return false;
  }
  return true;
}

export class EventBus {
  private readonly ring: EngineEvent[] = [];
  private readonly subscribers = new Set<(ev: EngineEvent) => void>();
  constructor(private readonly capacity = 1024, private readonly now: () => number = () => Date.now()) {}

  publish(type: string, action: string, id: string, attributes: Record<string, string> = {}): EngineEvent {
    const ms = this.now();
    const ev: EngineEvent = {
      Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local',
      time: Math.floor(ms / 1000), timeNano: ms * 1_000_000,
    };
    // The deprecated top-level fields, still read by some tools (and docker-compose v1).
    if (type === 'container' || type === 'image') { ev.status = action; ev.id = id; if (attributes.image) ev.from = attributes.image; }
    this.ring.push(ev);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const s of this.subscribers) s(ev);
    return ev;
  }

  /** Past events with time in [since, until] (unix seconds, fractions allowed). */
  history(since: number, until = Infinity): EngineEvent[] {
    return this.ring.filter((e) => e.timeNano / 1e9 >= since && e.timeNano / 1e9 <= until);
  }

  subscribe(fn: (ev: EngineEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}
