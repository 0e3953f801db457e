#!/usr/bin/env bash
# tests/it_pgtmp.sh - scripts/pg-tmp, the throwaway PostgreSQL of the tests:
# it starts a cluster as an unprivileged user on 127.0.0.1 only, with a
# password that is really asked for; `stop` removes it and refuses a
# directory it did not make; the cluster goes when its caller exits; `run`
# passes the command's status through; tests/lib.sh's pg_database gives a
# database of its own.  Prints how long a start takes (the cost every
# test run that uses a PostgreSQL pays once).
. "$(dirname "$0")/lib.sh"
PGTMP=$ROOT/scripts/pg-tmp
unset DENPO_TEST_PG DENPO_TEST_PG_DIR
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] && [ -z "${PG_BIN:-}" ]; then
	no "no PostgreSQL 15 (scripts/setup installs Debian's postgresql)"
	t_done it_pgtmp
	exit 1
fi
q() { PGCONNECT_TIMEOUT=5 psql -qAtX "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

check "--help" bash -c "'$PGTMP' --help | grep -q 'pg-tmp start'"
check "an unknown command fails" bash -c "! '$PGTMP' frobnicate 2>/dev/null"

# The cluster's caller: a process this test ends to see the cluster go with it.
sleep 600 &
caller=$!
trap 'kill "$caller" 2>/dev/null' EXIT
t0=$(now)
if ! env=$("$PGTMP" start --watch "$caller"); then
	no "scripts/pg-tmp start failed"
	t_done it_pgtmp
	exit 1
fi
t1=$(now)
eval "$env"
echo "start: $(secs "$t0" "$t1") s"
check "the URI names user, password, 127.0.0.1, a port, a database" \
	grep -Eq '^postgresql://denpo:[A-Za-z0-9]{16,}@127\.0\.0\.1:[0-9]+/denpo$' <<<"$DENPO_TEST_PG"
check "the URI connects" test "$(q "$DENPO_TEST_PG" -c 'SELECT 40 + 2')" = 42
check "listens on 127.0.0.1 only, no socket" test "$(q "$DENPO_TEST_PG" -c \
	"SELECT current_setting('listen_addresses') || '|' || current_setting('unix_socket_directories')")" = "127.0.0.1|"
wrong=$(sed -E 's#(://denpo:)[^@]*@#\1wrong@#' <<<"$DENPO_TEST_PG")
check "a wrong password is refused" bash -c "! PGCONNECT_TIMEOUT=5 psql -qAtX '$wrong' -c 'SELECT 1' 2>/dev/null"
if [ "$(id -u)" = 0 ]; then
	check "as root, the cluster runs as postgres" test "$(stat -c %U "$DENPO_TEST_PG_DIR/data")" = postgres
	pm=$(head -n 1 "$DENPO_TEST_PG_DIR/data/postmaster.pid")
	check "the server does not run as root" test "$(ps -o user= -p "$pm")" = postgres
fi

# pg_database: a database of its own on that server
pg_database it_pgtmp_db || no "pg_database failed"
check "pg_database's URI reaches its database" test "$(q "$PG_URI" -c 'SELECT current_database()')" = it_pgtmp_db

check "stop refuses a directory pg-tmp did not make" bash -c "! '$PGTMP' stop /tmp 2>/dev/null"
check "... and leaves it" test -d /tmp

# gone with its caller
kill "$caller"
wait "$caller" 2>/dev/null
gone=
for _ in $(seq 50); do
	[ -e "$DENPO_TEST_PG_DIR" ] || { gone=1; break; }
	sleep 0.1
done
check "the cluster goes within 5 s of its caller's exit" test -n "$gone"
check "... server and all" bash -c "! pgrep -f -- '[p]ostgres -D $DENPO_TEST_PG_DIR/data' >/dev/null"

# run: the command gets the URI, its status comes back, `stop` ends the cluster after
f=$(mktemp)
out=$("$PGTMP" run bash -c 'psql -qAtX "$DENPO_TEST_PG" -c "SELECT 7"
	printf "%s\n%s\n" "$DENPO_TEST_PG_DIR" "$DENPO_TEST_PG" >"$0"; exit 3' "$f")
rc=$?
check "run gives the command the URI" test "$out" = 7
check "run exits with the command's status" test "$rc" = 3
check "run's stop removes the directory" test -s "$f" -a ! -e "$(sed -n 1p "$f")"
check "... and ends the server" bash -c "! PGCONNECT_TIMEOUT=2 psql -qAtX '$(sed -n 2p "$f")' -c 'SELECT 1' 2>/dev/null"
rm -f "$f"
t_done it_pgtmp
