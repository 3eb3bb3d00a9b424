#!/usr/bin/env bash
# Starts PostgreSQL and MariaDB when they are not running, and prints the admin URLs the
# integration tests use to create one throw-away database per test. Output: KEY=VALUE lines.
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >&2 || true
  fi
fi
if ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  if [ -x /usr/sbin/mariadbd ]; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >&2 || true
  fi
fi
for _ in $(seq 1 30); do
  pg_ok=0; my_ok=0
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && pg_ok=1
  mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && my_ok=1
  [ $pg_ok = 1 ] && [ $my_ok = 1 ] && break
  sleep 1
done
[ "${pg_ok:-0}" = 1 ] && echo "GEMSCOPE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres"
[ "${my_ok:-0}" = 1 ] && echo "GEMSCOPE_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test"
[ "${pg_ok:-0}" = 1 ] && [ "${my_ok:-0}" = 1 ] || { echo "databases.sh: PostgreSQL or MariaDB is not reachable" >&2; exit 1; }
echo "GEMSCOPE_TEST_REQUIRE_ALL_DBS=1"
echo "GEMSCOPE_TEST_REQUIRE_REAL=1"
