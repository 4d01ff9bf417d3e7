#!/usr/bin/env bash
# Throw-away PostgreSQL + Redis for the test suite (no systemd, no Docker needed).
#
#   scripts/services.sh start     start both (idempotent: reuses a server already running)
#   scripts/services.sh stop      stop the servers this checkout started (by pid, never by name)
#   scripts/services.sh status    print the state; exit 0 only if both answer
#   scripts/services.sh env       print the `export DATABASE_URL=... REDIS_URL=...` lines
#   scripts/services.sh destroy   stop, then delete the data directories
#   scripts/services.sh apt PKG…  apt-get install the packages dpkg does not report as installed
#
# PostgreSQL listens on 127.0.0.1:55432, Redis on 127.0.0.1:56379 (override with
# SOLIDAIRE_PG_PORT / SOLIDAIRE_REDIS_PORT).  Data lives in <repo>/.services; the PostgreSQL data
# directory goes to /tmp/solidaire-services-<hash of repo path>/pg instead when the `postgres`
# user cannot reach the repository (e.g. a checkout under a 0700 /root).
#
# Several clones share the fixed ports: `start` in a second clone finds the server of the first
# one answering on the port and reuses it (the role and database are the same); `stop` only ever
# stops the processes whose pid files live in this clone's own directories.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SERVICES_DIR="$REPO/.services"
REPO_HASH="$(printf '%s' "$REPO" | sha1sum | cut -c1-12)"
TMP_BASE="/tmp/solidaire-services-$REPO_HASH"

PG_PORT="${SOLIDAIRE_PG_PORT:-55432}"
REDIS_PORT="${SOLIDAIRE_REDIS_PORT:-56379}"
PG_HOST=127.0.0.1
DB_NAME=solidaire
DB_USER=solidaire
DB_PASSWORD=solidaire
DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@$PG_HOST:$PG_PORT/$DB_NAME"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

REDIS_DIR="$SERVICES_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------- apt
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi

pkg_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

# Install the packages that are missing; waits for a dpkg lock held by another apt run, and runs
# `apt-get update` (once) only when the plain install fails (empty or stale package lists).
apt_ensure() {
    local missing=() p
    for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    local apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q
               -o DPkg::Lock::Timeout=600)
    if ! "${apt[@]}" install "${missing[@]}"; then
        local i
        for i in 1 2 3 4 5 6; do
            "${apt[@]}" update && break
            log "apt-get update failed (lock held?), retrying in 10 s"; sleep 10
        done
        "${apt[@]}" install "${missing[@]}"
    fi
}

# --------------------------------------------------------------------------------- PostgreSQL
pg_bindir() {
    # The version a data directory was created with wins; otherwise 15 (what docker-compose uses),
    # otherwise the newest installed.
    local want="${1:-}" v
    if [ -n "$want" ] && [ -x "/usr/lib/postgresql/$want/bin/pg_ctl" ]; then
        echo "/usr/lib/postgresql/$want/bin"; return 0
    fi
    [ -n "$want" ] && die "data directory is PostgreSQL $want but /usr/lib/postgresql/$want is not installed (run 'make clean')"
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then echo /usr/lib/postgresql/15/bin; return 0; fi
    v="$(ls -1 /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)"
    [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/initdb" ] || return 1
    echo "/usr/lib/postgresql/$v/bin"
}

as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# Where this clone's PostgreSQL lives.  Sticky: an existing data directory is used wherever it is.
pg_base() {
    if [ -f "$SERVICES_DIR/pg/data/PG_VERSION" ]; then echo "$SERVICES_DIR/pg"; return; fi
    if [ -f "$TMP_BASE/pg/data/PG_VERSION" ]; then echo "$TMP_BASE/pg"; return; fi
    if id postgres >/dev/null 2>&1 && as_postgres test -x "$REPO" 2>/dev/null; then
        echo "$SERVICES_DIR/pg"
    else
        echo "$TMP_BASE/pg"
    fi
}

# Set once the postgres user exists (start installs the package first).
pg_set_paths() {
    PG_BASE="$(pg_base)"
    PGDATA="$PG_BASE/data"
    PG_LOG="$PG_BASE/postgres.log"
    PG_SOCKDIR="$PG_BASE/run"
    # Unix socket paths are limited to ~107 bytes.
    if [ "$(( ${#PG_SOCKDIR} + 20 ))" -gt 100 ]; then PG_SOCKDIR="/tmp/solidaire-pgsock-$REPO_HASH"; fi
}

# A killed daemon can linger as a zombie where init does not reap (containers): kill -0 succeeds.
pid_alive() {
    [[ "${1:-}" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null || true)"
    [ "$state" != "Z" ] && [ "$state" != "X" ]
}

# Wait (up to 20 s) until a zombie pid has been reaped: PostgreSQL refuses to start while the
# pid in postmaster.pid still exists, zombie or not.
wait_zombie_reaped() {
    local i
    [[ "${1:-}" =~ ^[0-9]+$ ]] || return 0
    for i in $(seq 1 100); do
        [ -e "/proc/$1" ] && ! pid_alive "$1" || return 0
        sleep 0.2
    done
}

pg_ours_running() {
    [ -f "$PGDATA/PG_VERSION" ] || return 1
    pid_alive "$(pg_pid)" || return 1
    local bindir
    bindir="$(pg_bindir "$(cat "$PGDATA/PG_VERSION")")" || return 1
    as_postgres "$bindir/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

pg_pid() { head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true; }

pg_port_answers() {
    command -v pg_isready >/dev/null 2>&1 || return 1
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2 >/dev/null 2>&1
}

pg_app_login_works() {
    PGCONNECT_TIMEOUT=5 psql -X -q -t -A "$DATABASE_URL" -c 'select 1' >/dev/null 2>&1
}

pg_admin_psql() {
    as_postgres psql -X -q -t -A -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres \
        -d postgres "$@"
}

pg_init() {
    local bindir="$1" locale_opt=(--no-locale)
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale_opt=(--locale=C.UTF-8); fi
    log "initdb $PGDATA"
    mkdir -p "$PG_BASE"
    chmod 755 "$(dirname "$PG_BASE")" "$PG_BASE"
    rm -rf "$PGDATA"
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PG_BASE" "$PGDATA"
    chmod 700 "$PGDATA"
    as_postgres "$bindir/initdb" -D "$PGDATA" -U postgres -E UTF8 "${locale_opt[@]}" \
        --auth-local=peer --auth-host=scram-sha-256 >"$PG_BASE/initdb.log" 2>&1 \
        || { cat "$PG_BASE/initdb.log" >&2; die "initdb failed"; }
    cat >>"$PGDATA/postgresql.conf" <<EOF

# --- solidaire throw-away test server (scripts/services.sh) ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
}

pg_start() {
    if pg_ours_running; then
        log "PostgreSQL already running (pid $(pg_pid), $PGDATA)"
    elif pg_port_answers; then
        # Another clone's server (or something else) is on the port: reuse it if it is ours in kind.
        if pg_app_login_works; then
            log "PostgreSQL on $PG_HOST:$PG_PORT was started elsewhere (another checkout?); reusing it"
            return 0
        fi
        die "port $PG_PORT answers but '$DATABASE_URL' does not work: stop that server or set SOLIDAIRE_PG_PORT"
    else
        local bindir
        if [ -f "$PGDATA/PG_VERSION" ]; then
            bindir="$(pg_bindir "$(cat "$PGDATA/PG_VERSION")")"
        else
            bindir="$(pg_bindir)" || die "PostgreSQL binaries not found under /usr/lib/postgresql"
            pg_init "$bindir"
        fi
        wait_zombie_reaped "$(pg_pid)"
        mkdir -p "$PG_SOCKDIR"
        chown postgres:postgres "$PG_SOCKDIR"
        touch "$PG_LOG"; chown postgres:postgres "$PG_LOG"
        log "starting PostgreSQL on $PG_HOST:$PG_PORT ($PGDATA)"
        if ! as_postgres "$bindir/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start >/dev/null; then
            tail -n 15 "$PG_LOG" >&2 || true
            die "PostgreSQL did not start (log: $PG_LOG)"
        fi
    fi
    local i
    for i in $(seq 1 50); do pg_port_answers && break; sleep 0.2; done
    pg_port_answers || die "PostgreSQL does not answer on $PG_HOST:$PG_PORT (log: $PG_LOG)"

    # Role and database (idempotent).  CREATEDB: pytest-django creates test_solidaire.
    pg_admin_psql <<SQL >/dev/null
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
        CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
    ELSE
        ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
    END IF;
END
\$\$;
SQL
    if [ "$(pg_admin_psql -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]; then
        pg_admin_psql -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >/dev/null
    fi
}

pg_stop() {
    if [ ! -f "$PGDATA/PG_VERSION" ]; then log "PostgreSQL: no data directory, nothing to stop"; return 0; fi
    if ! pg_ours_running; then log "PostgreSQL not running"; return 0; fi
    local bindir
    bindir="$(pg_bindir "$(cat "$PGDATA/PG_VERSION")")"
    log "stopping PostgreSQL (pid $(pg_pid))"
    # pg_ctl signals the pid recorded in $PGDATA/postmaster.pid.
    as_postgres "$bindir/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
}

# -------------------------------------------------------------------------------------- Redis
redis_pid() { cat "$REDIS_PIDFILE" 2>/dev/null || true; }

redis_ours_running() {
    local pid
    pid="$(redis_pid)"
    pid_alive "$pid" || return 1
    # Guard against a recycled pid.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'redis-server'
}

redis_port_answers() {
    command -v redis-cli >/dev/null 2>&1 || return 1
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true)" = "PONG" ]
}

redis_start() {
    if redis_ours_running; then
        log "Redis already running (pid $(redis_pid))"
    elif redis_port_answers; then
        log "Redis on 127.0.0.1:$REDIS_PORT was started elsewhere (another checkout?); reusing it"
        return 0
    else
        mkdir -p "$REDIS_DIR"
        rm -f "$REDIS_PIDFILE"
        log "starting Redis on 127.0.0.1:$REDIS_PORT ($REDIS_DIR)"
        (cd "$REDIS_DIR" && redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
            --dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_DIR/redis.log" \
            --save '' --appendonly no) >/dev/null
    fi
    local i
    for i in $(seq 1 50); do redis_port_answers && return 0; sleep 0.2; done
    tail -n 20 "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
    die "Redis does not answer on 127.0.0.1:$REDIS_PORT (log: $REDIS_DIR/redis.log)"
}

redis_stop() {
    if ! redis_ours_running; then
        log "Redis not running"; rm -f "$REDIS_PIDFILE"; return 0
    fi
    local pid i
    pid="$(redis_pid)"
    log "stopping Redis (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then log "Redis pid $pid ignored SIGTERM, sending SIGKILL"; kill -KILL "$pid" || true; fi
    rm -f "$REDIS_PIDFILE"
}

# ------------------------------------------------------------------------------------ commands
ensure_packages() {
    local need=()
    pg_bindir >/dev/null 2>&1 || need+=(postgresql)
    command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 \
        || need+=(redis-server)
    if [ "${#need[@]}" -gt 0 ]; then apt_ensure "${need[@]}"; fi
    id postgres >/dev/null 2>&1 || die "no 'postgres' user after installing postgresql"
}

cmd_status() {
    local rc=0
    if pg_ours_running; then
        echo "postgresql: running (pid $(pg_pid), port $PG_PORT, data $PGDATA)"
    elif pg_port_answers; then
        echo "postgresql: answering on port $PG_PORT, started by another checkout"
    else
        echo "postgresql: stopped (data $PGDATA)"; rc=3
    fi
    if redis_ours_running; then
        echo "redis: running (pid $(redis_pid), port $REDIS_PORT, dir $REDIS_DIR)"
    elif redis_port_answers; then
        echo "redis: answering on port $REDIS_PORT, started by another checkout"
    else
        echo "redis: stopped"; rc=3
    fi
    return "$rc"
}

cmd_env() {
    echo "export DATABASE_URL=$DATABASE_URL"
    echo "export REDIS_URL=$REDIS_URL"
}

usage() {
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ "$#" -ge 1 ] || usage
cmd="$1"; shift
case "$cmd" in
    start)
        ensure_packages
        pg_set_paths
        mkdir -p "$SERVICES_DIR"; chmod 755 "$SERVICES_DIR"
        pg_start
        redis_start
        cmd_status
        ;;
    stop)
        pg_set_paths
        pg_stop
        redis_stop
        ;;
    status) pg_set_paths; cmd_status ;;
    env) cmd_env ;;
    destroy)
        pg_set_paths
        pg_stop
        redis_stop
        rm -rf "$SERVICES_DIR" "$TMP_BASE" "/tmp/solidaire-pgsock-$REPO_HASH"
        log "removed $SERVICES_DIR and $TMP_BASE"
        ;;
    apt) apt_ensure "$@" ;;
    *) usage ;;
esac
