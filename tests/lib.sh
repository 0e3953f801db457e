# tests/lib.sh - helpers for integration tests (sourced).
# ok/no count results; t_done prints "name: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
DENPOD="$BUILD/denpod"
DENPO="$BUILD/denpo"
T_PASS=0 T_FAIL=0 T_SKIP=0
ok() { T_PASS=$((T_PASS + 1)); }
no() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }
check() { # description, command...
	local d=$1; shift
	if "$@"; then ok; else no "$d"; fi
}
skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP: $*"; }
t_done() {
	if [ "$T_SKIP" -gt 0 ]; then
		echo "$1: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	else
		echo "$1: $T_PASS passed, $T_FAIL failed"
	fi
	[ "$T_FAIL" = 0 ]
}
vectors_dir() {
	local d=${DENPO_VECTORS:-$ROOT/../shared/vectors}
	[ -d "$d" ] && echo "$d"
}
# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
