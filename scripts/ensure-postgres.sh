#!/usr/bin/env bash
# Make sure a PostgreSQL server answers for the tests. Use the one at HUZHU_TEST_PG_HOST:PORT
# (default 127.0.0.1:5432) when it is up; otherwise start a throwaway cluster from the local
# binaries (installing them from Debian when they are missing). Tests never skip PostgreSQL.
set -euo pipefail
host=${HUZHU_TEST_PG_HOST:-127.0.0.1}
port=${HUZHU_TEST_PG_PORT:-5432}

if ! command -v pg_isready >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
isready=$(command -v pg_isready || ls /usr/lib/postgresql/*/bin/pg_isready | tail -1)
if "$isready" -h "$host" -p "$port" -q; then
  exit 0
fi

# A machine service that is merely stopped: start it the way the machine does.
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
  for v in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do "$isready" -h "$host" -p "$port" -q && exit 0; sleep 1; done
fi

bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)")
data=${HUZHU_TEST_PG_DATA:-/tmp/huzhu-pg}
echo "starting a throwaway PostgreSQL cluster in $data on port $port"
rm -rf "$data"
mkdir -p "$data"
owner=postgres
id -u "$owner" >/dev/null 2>&1 || owner=$(id -un)
chown "$owner" "$data"
run() { if [ "$(id -un)" = "$owner" ]; then "$@"; else su "$owner" -s /bin/bash -c "$(printf '%q ' "$@")"; fi; }
run "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
run "$bindir/pg_ctl" -D "$data" -l "$data/log" -o "-p $port -k /tmp -c listen_addresses=$host -c fsync=off" -w start >/dev/null
"$isready" -h "$host" -p "$port" -q
