# shellcheck shell=bash
# bench/switch_setup.sh - sourced by the bench scripts: a fresh switch with the
# bench devices enrolled (posts HQ and TOKYO, `bench_switch setup`, `denpod
# approve` of each request).  Needs $BUILD and $B (the bench_switch binary).
# The switch is made by the daemon it will run ($DENPOD, default
# $BUILD/denpod), so an older binary compared against this tree opens a data
# directory of its own schema.
#
# bench_switch_init SWITCH_DIR BENCH_DIR PORT URLS [denpod init options...]
#   denpod init of SWITCH_DIR listening on 127.0.0.1:PORT with the addresses
#   URLS (comma-separated), the devices' keys and answers in BENCH_DIR.
#   Output of the commands goes nowhere; a failure ends the script (set -e).
# denpod_cpu PID: CPU ticks (CLK_TCK a second) of the denpod PID and its children (the signer
# and the network process)
# port_free PORT: nothing listens on 127.0.0.1:PORT; free_port: such a port, at random
# median X...: the median of the numbers; val KEY FILE: the value after KEY on KEY's first
# line of FILE (bench_switch's "key value" report lines)
denpod_cpu() {
	local p t=0
	for p in "$1" $(pgrep -P "$1"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
val() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		port_free "$p" && { echo "$p"; return; }
	done
}

bench_switch_init() {
	local sw=$1 bd=$2 port=$3 urls=$4 f
	local d=${DENPOD:-$BUILD/denpod}
	shift 4
	"$d" init --data "$sw" --listen "127.0.0.1:$port" --url "$urls" "$@" >/dev/null
	"$d" post add HQ --hq --data "$sw" >/dev/null
	"$d" post add TOKYO --data "$sw" >/dev/null
	rm -rf "$bd"
	"$B" setup "$bd" >/dev/null
	for f in "$bd"/req/*.req; do
		"$d" approve "$f" --out "$bd/ans/$(basename "$f" .req).ans" --clearance SECRET \
			--data "$sw" >/dev/null
	done
}
