// Every label docker compose v2 writes or reads (pkg/api/labels.go), in one
// place. Using the same names lets `docker compose ps` recognise our
// containers and lets us adopt theirs.

export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_SERVICE = 'com.docker.compose.service';
export const LABEL_CONFIG_HASH = 'com.docker.compose.config-hash';
export const LABEL_CONTAINER_NUMBER = 'com.docker.compose.container-number';
export const LABEL_VOLUME = 'com.docker.compose.volume';
export const LABEL_NETWORK = 'com.docker.compose.network';
export const LABEL_WORKING_DIR = 'com.docker.compose.project.working_dir';
export const LABEL_CONFIG_FILES = 'com.docker.compose.project.config_files';
export const LABEL_ENVIRONMENT_FILE = 'com.docker.compose.project.environment_file';
/** `True` on one-off containers made by `run`, `False` on service containers. */
export const LABEL_ONEOFF = 'com.docker.compose.oneoff';
/** The full random id of a one-off container (its name carries the first 12 hex digits). */
export const LABEL_SLUG = 'com.docker.compose.slug';
/** Digest of the image the container was created from. */
export const LABEL_IMAGE = 'com.docker.compose.image';
export const LABEL_IMAGE_VOLUME_DIGEST = 'com.docker.compose.image-volume-digest';
/** `db:service_healthy:false,redis:service_started:true` (service:condition:restart). */
export const LABEL_DEPENDS_ON = 'com.docker.compose.depends_on';
export const LABEL_VERSION = 'com.docker.compose.version';
export const LABEL_IMAGE_BUILDER = 'com.docker.compose.image.builder';
/** On a container created to replace another: the replaced one's `<service>-<n>` (or container_name). */
export const LABEL_REPLACE = 'com.docker.compose.replace';
export const LABEL_ENGINE = 'com.docker.compose.engine';
export const LABEL_HOOK = 'com.docker.compose.hook';

/** `-` joins project, service and number in container names: `<project>-<service>-<n>`. */
export const NAME_SEPARATOR = '-';
