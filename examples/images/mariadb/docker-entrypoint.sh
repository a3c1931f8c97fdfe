#!/bin/bash
# Entrypoint of tscompose-examples/mariadb: the part of the official image's
# entrypoint that a Compose user relies on. On the first start (empty datadir)
# it creates the system tables, sets the root password, and creates
# MARIADB_DATABASE and MARIADB_USER/MARIADB_PASSWORD; then it runs mariadbd as
# the mysql user, listening on all addresses. MYSQL_* names work too.
set -euo pipefail

log() { echo "$(date -u +'%Y-%m-%d %H:%M:%S') 0 [Note] [Entrypoint]: $*"; }
die() { echo "$(date -u +'%Y-%m-%d %H:%M:%S') 0 [ERROR] [Entrypoint]: $*" >&2; exit 1; }

# `docker run image --some-flag` means mariadbd with that flag.
if [ "${1:-}" = "" ] || [ "${1:0:1}" = "-" ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi

: "${MARIADB_ROOT_PASSWORD:=${MYSQL_ROOT_PASSWORD:-}}"
: "${MARIADB_DATABASE:=${MYSQL_DATABASE:-}}"
: "${MARIADB_USER:=${MYSQL_USER:-}}"
: "${MARIADB_PASSWORD:=${MYSQL_PASSWORD:-}}"
: "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:=${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
: "${MARIADB_RANDOM_ROOT_PASSWORD:=${MYSQL_RANDOM_ROOT_PASSWORD:-}}"

datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
shift
server=(mariadbd --user=mysql --datadir="$datadir" --socket="$socket")

# Volumes may arrive owned by anyone; the server needs them as mysql.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$datadir" /run/mysqld
  chown mysql:mysql /run/mysqld
  find "$datadir" \! -user mysql -exec chown mysql:mysql {} +
fi

sql_string() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\\\'}"; }
sql_ident() { printf '`%s`' "${1//\`/\`\`}"; }

if [ ! -d "$datadir/mysql" ]; then
  if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
    die "the database is uninitialized and no root password is set: set MARIADB_ROOT_PASSWORD (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 or MARIADB_RANDOM_ROOT_PASSWORD=1)"
  fi
  if [ -n "$MARIADB_USER" ] && [ -z "$MARIADB_PASSWORD" ]; then
    die "MARIADB_USER=$MARIADB_USER is set but MARIADB_PASSWORD is empty: set both"
  fi
  if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
    MARIADB_ROOT_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    log "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
  fi

  log "initializing database files in $datadir"
  # --rpm: no hostname look-up (a container may have no /etc/hosts entry for
  # itself yet), and no advice printed for interactive installs.
  if ! out=$(mariadb-install-db --user=mysql --datadir="$datadir" --rpm --skip-test-db \
      --auth-root-authentication-method=normal --skip-name-resolve --skip-log-bin \
      --default-time-zone=SYSTEM "$@" 2>&1 </dev/null); then
    echo "$out" >&2
    die "mariadb-install-db failed (see above); $datadir may need to be emptied before the next start"
  fi

  log "starting a temporary server (no network) to create users and databases"
  "${server[@]}" --skip-networking --skip-log-bin "$@" &
  pid=$!
  for i in $(seq 60); do
    mariadb-admin --socket="$socket" -uroot ping --silent >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || die "the temporary server exited during initialization; see the messages above"
    sleep 0.5
  done
  mariadb-admin --socket="$socket" -uroot ping --silent >/dev/null 2>&1 || die "the temporary server did not answer in 30s"

  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    # mariadb-install-db also made root@127.0.0.1, root@::1 and root@<hostname>
    # without a password, and anonymous users: only root@localhost stays.
    echo "DELETE FROM mysql.global_priv WHERE Host <> 'localhost' OR User = '';"
    echo "DELETE FROM mysql.proxies_priv WHERE Host <> 'localhost';"
    echo "FLUSH PRIVILEGES;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$MARIADB_ROOT_PASSWORD");"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY $(sql_string "$MARIADB_ROOT_PASSWORD");"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "$MARIADB_DATABASE" ]; then
      echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "$MARIADB_DATABASE");"
    fi
    if [ -n "$MARIADB_USER" ]; then
      echo "CREATE USER $(sql_string "$MARIADB_USER")@'%' IDENTIFIED BY $(sql_string "$MARIADB_PASSWORD");"
      [ -n "$MARIADB_DATABASE" ] && echo "GRANT ALL ON $(sql_ident "$MARIADB_DATABASE").* TO $(sql_string "$MARIADB_USER")@'%';"
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$socket" -uroot --protocol=socket

  # Root now has its password; `-p` alone would prompt, hence the array.
  as_root=(--socket="$socket" -uroot)
  [ -n "$MARIADB_ROOT_PASSWORD" ] && as_root+=(--password="$MARIADB_ROOT_PASSWORD")

  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)     log "running $f"; . "$f" ;;
      *.sql)    log "running $f"; mariadb "${as_root[@]}" ${MARIADB_DATABASE:+"$MARIADB_DATABASE"} < "$f" ;;
      *.sql.gz) log "running $f"; gzip -dc "$f" | mariadb "${as_root[@]}" ${MARIADB_DATABASE:+"$MARIADB_DATABASE"} ;;
      *)        log "ignoring $f" ;;
    esac
  done

  mariadb-admin "${as_root[@]}" shutdown
  wait "$pid" || true
  log "initialization done"
fi

log "starting mariadbd"
exec "${server[@]}" --bind-address=0.0.0.0 --skip-name-resolve "$@"
