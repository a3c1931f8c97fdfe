// `--progress auto|tty|plain|json|quiet` and `--ansi never|always|auto`,
// resolved once per command from the flags, whether stderr is a terminal and
// NO_COLOR, so every renderer and the log printer agree.

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

export interface OutputSettings {
  readonly mode: ProgressMode;
  /** ANSI colours in progress and log output. */
  readonly color: boolean;
}

export interface OutputInputs {
  readonly progress?: string;
  readonly ansi?: string;
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function resolveOutput(inputs: OutputInputs): OutputSettings {
  const ansi = inputs.ansi ?? 'auto';
  const noColor = inputs.env.NO_COLOR !== undefined && inputs.env.NO_COLOR !== '';
  const color = ansi === 'always' || (ansi === 'auto' && inputs.isTTY && !noColor);
  const requested = inputs.progress ?? 'auto';
  let mode: ProgressMode;
  if (requested === 'plain' || requested === 'json' || requested === 'quiet') mode = requested;
  // A task board redraws lines with escape codes: never without a terminal or with --ansi never.
  else if (requested === 'tty') mode = inputs.isTTY && ansi !== 'never' ? 'tty' : 'plain';
  else mode = inputs.isTTY && ansi !== 'never' ? 'tty' : 'plain';
  return { mode, color };
}
