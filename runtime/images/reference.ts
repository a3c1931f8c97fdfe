// Image references with Docker's grammar and Docker Hub normalization
// (distribution/reference): `nginx` → `docker.io/library/nginx:latest`.
// Error texts are Docker's, because users and tools match on them.
import { InvalidReferenceError } from './errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const DEFAULT_REGISTRY_HOST = 'registry-1.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
const MAX_NAME_LENGTH = 255;

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_DIGEST_RE = new RegExp(`^${DIGEST}$`);
const ANCHORED_TAG_RE = new RegExp(`^${TAG}$`);
const HEX64_RE = /^[a-f0-9]{64}$/;

/** A fully normalized reference. */
export interface ImageReference {
  /** `docker.io`, `127.0.0.1:5000`, `[::1]:5000`, `ghcr.io`. */
  domain: string;
  /** `library/nginx`, `org/app`. */
  path: string;
  /** `docker.io/library/nginx`. */
  name: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** `sha256:<hex>` when given. */
  digest?: string;
  /** Host to talk to: `registry-1.docker.io` for Docker Hub, else `domain`. */
  registryHost: string;
}

export function invalidReference(reason?: string): InvalidReferenceError {
  return new InvalidReferenceError(reason ? `invalid reference format: ${reason}` : 'invalid reference format');
}

/**
 * Parse and normalize like `docker pull`. Throws InvalidReferenceError with
 * Docker's messages: `invalid reference format`, `invalid reference format:
 * repository name must be lowercase`, `repository name must not be more than
 * 255 characters`, `invalid repository name (...), cannot specify 64-byte
 * hexadecimal strings`.
 */
export function parseReference(ref: string): ImageReference {
  if (ref === '') throw invalidReference();
  if (HEX64_RE.test(ref)) {
    throw new InvalidReferenceError(`invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDomain(ref);
  // Split off the tag/digest from the remainder to check the repository part's case.
  const at = remainder.indexOf('@');
  const beforeDigest = at === -1 ? remainder : remainder.slice(0, at);
  const colon = beforeDigest.lastIndexOf(':');
  const repoPath = colon === -1 ? beforeDigest : beforeDigest.slice(0, colon);
  if (repoPath.toLowerCase() !== repoPath) throw invalidReference('repository name must be lowercase');

  const full = `${domain}/${remainder}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) throw invalidReference();
  const name = m[1];
  if (name.length > MAX_NAME_LENGTH) throw new InvalidReferenceError(`repository name must not be more than ${MAX_NAME_LENGTH} characters`);
  const path = name.slice(domain.length + 1);
  let tag = m[2];
  const digest = m[3];
  if (digest) validateDigest(digest);
  if (!tag && !digest) tag = 'latest';
  return {
    domain,
    path,
    name,
    tag,
    digest,
    registryHost: domain === DEFAULT_DOMAIN ? DEFAULT_REGISTRY_HOST : domain,
  };
}

function splitDomain(ref: string): { domain: string; remainder: string } {
  const i = ref.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : ref.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = ref;
  } else {
    domain = first;
    remainder = ref.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

export function validateDigest(digest: string): void {
  if (!ANCHORED_DIGEST_RE.test(digest)) throw new InvalidReferenceError('invalid digest format');
  const [alg, hex] = digest.split(':');
  if (alg !== 'sha256') throw new InvalidReferenceError(`unsupported digest algorithm: ${alg}`);
  if (!HEX64_RE.test(hex)) throw new InvalidReferenceError('invalid checksum digest length');
}

export function isValidTag(tag: string): boolean {
  return ANCHORED_TAG_RE.test(tag);
}

/** `docker.io/library/nginx` → `nginx`; `docker.io/org/app` → `org/app`; others unchanged. */
export function familiarName(name: string): string {
  if (name.startsWith(DEFAULT_DOMAIN + '/')) {
    const rest = name.slice(DEFAULT_DOMAIN.length + 1);
    if (rest.startsWith(OFFICIAL_REPO_PREFIX) && rest.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1) {
      return rest.slice(OFFICIAL_REPO_PREFIX.length);
    }
    return rest;
  }
  return name;
}

/** Full canonical string: `docker.io/library/nginx:latest`, `name@sha256:...`, `name:tag@sha256:...`. */
export function referenceString(r: ImageReference): string {
  return r.name + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Familiar string: `nginx:latest`, `127.0.0.1:5000/app@sha256:...`. */
export function familiarString(r: ImageReference): string {
  return familiarName(r.name) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** `name:tag` key (familiar) for a tagged reference. */
export function tagKey(r: ImageReference): string {
  return `${familiarName(r.name)}:${r.tag ?? 'latest'}`;
}

/** `name@digest` key (familiar). */
export function digestKey(name: string, digest: string): string {
  return `${familiarName(name)}@${digest}`;
}
