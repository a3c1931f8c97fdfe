// Volume names: Docker's local-driver rule, and the random 64-hex names of
// anonymous volumes.

import { randomBytes } from 'node:crypto';
import { InvalidVolumeConfigError } from './errors.js';

export const VOLUME_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The label Docker puts on volumes it created without a name (prune without `all` removes only these). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export function randomVolumeName(): string {
  return randomBytes(32).toString('hex');
}

/** Throws Docker's `create NAME: …` error for a name the local driver refuses. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) {
    throw new InvalidVolumeConfigError(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  }
  if (!NAME_RE.test(name)) {
    throw new InvalidVolumeConfigError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "${VOLUME_NAME_CHARS}" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}
