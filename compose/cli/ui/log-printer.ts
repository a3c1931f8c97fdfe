// Container output, one line at a time, prefixed like docker compose's:
// `db-1   | ready for connections` — the container name without the project,
// padded to the longest name, each container in its own colour (rotating
// through docker compose's palette), or bare with --no-log-prefix.

import { Chalk, type ChalkInstance } from 'chalk';

export interface LogPrinterOptions {
  readonly color: boolean;
  readonly prefix: boolean;
  /** Write one finished line (with its newline). */
  readonly write: (text: string) => void;
  readonly projectName: string;
}

type Paint = (chalk: ChalkInstance) => (text: string) => string;

const PALETTE: readonly Paint[] = [
  (c) => c.cyan,
  (c) => c.yellow,
  (c) => c.green,
  (c) => c.magenta,
  (c) => c.blue,
  (c) => c.cyanBright,
  (c) => c.yellowBright,
  (c) => c.greenBright,
  (c) => c.magentaBright,
  (c) => c.blueBright,
];

export class LogPrinter {
  private readonly chalk: ChalkInstance;
  private readonly colours = new Map<string, (text: string) => string>();
  private width = 0;

  constructor(private readonly options: LogPrinterOptions) {
    this.chalk = new Chalk({ level: options.color ? 1 : 0 });
  }

  /** `app-db-1` -> `db-1`; one-off and custom names stay whole. */
  shortName(containerName: string): string {
    const prefix = `${this.options.projectName}-`;
    return containerName.startsWith(prefix) ? containerName.slice(prefix.length) : containerName;
  }

  /** Declares the containers up front so every prefix has the same width from the first line. */
  register(containerNames: readonly string[]): void {
    for (const name of [...containerNames].sort()) this.colourOf(name);
  }

  private colourOf(containerName: string): (text: string) => string {
    let paint = this.colours.get(containerName);
    if (!paint) {
      paint = PALETTE[this.colours.size % PALETTE.length](this.chalk);
      this.colours.set(containerName, paint);
      this.width = Math.max(this.width, this.shortName(containerName).length);
    }
    return paint;
  }

  line(containerName: string, text: string): void {
    if (!this.options.prefix) {
      this.options.write(`${text}\n`);
      return;
    }
    const paint = this.colourOf(containerName);
    const name = this.shortName(containerName).padEnd(this.width);
    this.options.write(`${paint(`${name}  |`)} ${text}\n`);
  }

  /** A message about a container (exited, attaching), docker compose style. */
  notice(containerName: string, text: string): void {
    this.options.write(`${text.replace('%s', containerName)}\n`);
  }
}
