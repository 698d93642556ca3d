# A throwaway PostgreSQL server for benchmarks, sourced by bench scripts.
#
# start_postgres WORK PORT NAME: Debian's server (`postgresql`), a cluster
# copied from the initdb template cached in ~/.cache/froyo/postgres (as the
# tests make it) into WORK/pg, listening on a Unix socket only, with
# `synchronous_commit=off` (commits reach the OS at once and the disk at the
# next WAL flush: what SQLite's WAL mode with `synchronous=NORMAL`, froyo's
# setting, does; fsync stays on), and a database `froyo`. Sets `pg_bin`,
# `server_pid` and `socket` (the socket directory, percent-encoded for a
# URL); NAME prefixes errors. stop_postgres stops it (idempotent).

server_pid=""

start_postgres() {
    local work="$1" port="$2" name="$3"
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
        echo "$name: PostgreSQL's server is not installed (apt-get install postgresql)" >&2
        exit 2
    fi
    local version as_server=() template
    version=$(basename "$(dirname "$pg_bin")")
    # setpriv execs the server (runuser would stay its parent and not pass signals on).
    if [ "$(id -u)" = 0 ]; then as_server=(setpriv --reuid=postgres --regid=postgres --clear-groups --); fi
    template="$HOME/.cache/froyo/postgres/$version-template-v1"
    if [ ! -f "$template/PG_VERSION" ]; then
        mkdir -p "$work/initdb" "$(dirname "$template")"
        if [ "$(id -u)" = 0 ]; then chown postgres: "$work/initdb"; fi
        (cd "$work/initdb" && "${as_server[@]}" "$pg_bin/initdb" -D "$work/initdb/data" -U froyo_admin \
            --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null)
        cp -a "$work/initdb/data" "$template.$$" && mv "$template.$$" "$template"
    fi
    # The server's user must reach its directory.
    chmod 755 "$work"
    mkdir -p "$work/pg/socket"
    cp -a "$template" "$work/pg/data"
    printf 'local all all trust\n' > "$work/pg/data/pg_hba.conf"
    if [ "$(id -u)" = 0 ]; then chown -R postgres: "$work/pg"; fi
    "${as_server[@]}" "$pg_bin/postgres" -D "$work/pg/data" -k "$work/pg/socket" -p "$port" \
        -c listen_addresses= -c synchronous_commit=off -c ssl=off >"$work/pg/log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 400); do
        "$pg_bin/pg_isready" -q -h "$work/pg/socket" -p "$port" && break
        sleep 0.05
    done
    if ! "$pg_bin/pg_isready" -q -h "$work/pg/socket" -p "$port"; then
        echo "$name: the server did not start:" >&2
        cat "$work/pg/log" >&2
        exit 1
    fi
    "$pg_bin/psql" -X -q -h "$work/pg/socket" -p "$port" -U froyo_admin -d postgres -c "CREATE DATABASE froyo"
    socket=$(python3 -c "import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1], safe=''))" "$work/pg/socket")
}

stop_postgres() {
    if [ -n "$server_pid" ]; then
        kill -QUIT "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
