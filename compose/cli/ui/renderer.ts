// A renderer shows the progress of one command: `begin` with the resources
// it will touch (the task board lays out its lines), an event at a time,
// then `end`. Chosen once per command from the resolved OutputSettings.

import type { ProgressEvent, ResourceKind } from '../executor/events.js';
import { formatPlain } from './format.js';
import type { OutputSettings } from './progress-mode.js';
import { TtyRenderer } from './tty-renderer.js';

export interface BoardLine {
  readonly resource: ResourceKind;
  readonly name: string;
  /** Finishing statuses to expect before the line is done. */
  readonly steps: number;
}

export interface Renderer {
  begin(title: string, lines: readonly BoardLine[]): void;
  event(event: ProgressEvent): void;
  /** Waits until the output is flushed (the board drawn for the last time). */
  end(): Promise<void>;
}

export interface RendererOutput {
  /** Where progress goes (stderr, as docker compose). */
  readonly write: (text: string) => void;
}

/** Plain lines: `Container app-db-1  Started`; warnings as `WARN ...`. */
export class PlainRenderer implements Renderer {
  constructor(private readonly out: RendererOutput) {}
  begin(): void {}
  event(event: ProgressEvent): void {
    this.out.write(`${formatPlain(event)}\n`);
  }
  async end(): Promise<void> {}
}

/** One JSON object per line, the event as it is. */
export class JsonRenderer implements Renderer {
  constructor(private readonly out: RendererOutput) {}
  begin(): void {}
  event(event: ProgressEvent): void {
    this.out.write(`${JSON.stringify(event)}\n`);
  }
  async end(): Promise<void> {}
}

/** Nothing but warnings. */
export class QuietRenderer implements Renderer {
  constructor(private readonly out: RendererOutput) {}
  begin(): void {}
  event(event: ProgressEvent): void {
    if (event.kind === 'warning') this.out.write(`${formatPlain(event)}\n`);
  }
  async end(): Promise<void> {}
}

export function createRenderer(settings: OutputSettings, out: RendererOutput): Renderer {
  switch (settings.mode) {
    case 'tty':
      return new TtyRenderer(out);
    case 'plain':
      return new PlainRenderer(out);
    case 'json':
      return new JsonRenderer(out);
    case 'quiet':
      return new QuietRenderer(out);
  }
}
