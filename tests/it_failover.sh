#!/usr/bin/env bash
# it_failover.sh - a switch with several addresses (issue 13, docs/several-switches.md §3),
# through the real programs: the enrolment answer lists every address of
# denpod.conf's url; the client fails over from one to the next by itself
# and remembers the one that answered; one pinned TLS key for all.
#  (1) two addresses, the first dead (nothing listens): every command works
#      through the second, and the next command starts there;
#  (2) the switch stopped and started on the other address (same data
#      directory: the same TLS key) while a reader waits and a sender sends:
#      both go on, nothing lost or doubled;
#  (3) a submission whose answer is lost on the way is sent again to the next
#      address and answered as a duplicate with the MRN first given;
#  (4) another switch's key first in the list: the pin error, no fall-through;
#  (5) every address down: the message names each and why;
#  (6) a new list later: `denpod device answer` and `denpo enrol` of it (the
#      same switch's keys, issued later; another switch's answer refused);
#  and a malformed list (a repeat, an empty entry, a path, nine) refused at
#  `denpod init` and in denpod.conf, naming the address.
. "$(dirname "$0")/lib.sh"
need_programs it_failover "$DENPOD" "$DENPO"
need_tools it_failover python3 jq sqlite3
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="failover test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
PROXY="$ROOT/tests/failover_proxy.py"
HELPERS=()
cleanup() {
	local p
	for p in "${HELPERS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${P2:-}" ] && kill "$P2" 2>/dev/null
	t_cleanup
}
trap cleanup EXIT
A=$(free_port) # the first address: dead, later the switch's new home
B=$PORT        # the second: where the switch listens first
u() { echo "https://127.0.0.1:$1"; }
q() { sqlite3 "$T/sw/denpod.db" "$1"; }
last() { cat "$T/$1/switch" 2>/dev/null; }
# start_helper MODE ARGS...: failover_proxy.py in the background, once it listens
start_helper() {
	python3 "$PROXY" "$@" >"$T/helper.$$.out" 2>&1 &
	HELPERS+=($!)
	for _ in $(seq 100); do grep -q ready "$T/helper.$$.out" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
# set_urls LIST: what the next `denpod approve` puts in an answer
set_urls() { sed -i "s|^url=.*|url=$1|" "$T/sw/denpod.conf"; }
body() { printf '%s\n' "$@" >"$T/body"; }

{
	D init --data "$T/sw" --url "$(u "$A"),$(u "$B")" --listen "127.0.0.1:$B" &&
		D post add HQ --hq && D post add TOKYO && D post add OSAKA &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance SECRET &&
		D officer add kato.t --post OSAKA --clearance SECRET &&
		D officer add mori.y --post HQ --clearance SECRET &&
		D officer add abe.s --post HQ --clearance SECRET
} >"$T/init.out" 2>&1 || { no "switch setup: $(tail -n 3 "$T/init.out")"; t_done it_failover; exit 1; }
check "denpod.conf keeps both addresses, the primary first" \
	grep -qx "url=$(u "$A"), $(u "$B")" "$T/sw/denpod.conf"
# a list that cannot be right is refused, naming the address and why: at init (exit 2, nothing
# made) and in denpod.conf (config check and run: FILE:LINE)
nine=$(for i in 1 2 3 4 5 6 7 8 9; do printf 'https://h%s:1,' "$i"; done)
for bad in "https://a:1, https://A:1|address 2 (https://A:1) is listed twice" \
	"https://a:1,,https://b:1|address 2 is empty" \
	"https://a:1, https://b:1/x|address 2 (https://b:1/x) is not https://HOST:PORT" \
	"${nine%,}|more than 8 addresses"; do
	D init --data "$T/bad" --url "${bad%%|*}" --listen 127.0.0.1:1 >/dev/null 2>"$T/bad.err"
	rc=$?
	check "init refuses '${bad%%|*}' (exit $rc)" [ $rc = 2 ] && check "... saying ${bad#*|}" grep -qF "${bad#*|}" "$T/bad.err"
	check "... and makes nothing" [ ! -e "$T/bad" ]
	cp "$T/sw/denpod.conf" "$T/conf.good"
	sed -i "s|^url=.*|url=${bad%%|*}|" "$T/sw/denpod.conf"
	D config check --data "$T/sw" >"$T/bad.err" 2>&1
	rc=$?
	check "config check refuses it (exit $rc)" [ $rc = 1 ] &&
		check "... with FILE:LINE" grep -qF "denpod.conf:2: url: ${bad#*|}" "$T/bad.err"
	cp "$T/conf.good" "$T/sw/denpod.conf"
done
printf 'rule.MACHINE-SPEED.mode = report\nrule.ENUM-RANGE.mode = report\n' >"$T/sw/detect.conf"
enrol_devices sato.k:HQ ono.r:TOKYO kato.t:OSAKA
check "the enrolment answer carries both addresses, in order" \
	[ "$(grep '^Switch-URL:' "$T/sato.k.answer" | paste -sd' ')" = "Switch-URL: $(u "$A") Switch-URL: $(u "$B")" ]
if ! grep -q "^Switch-URL: $(u "$B")\$" "$T/sato.k.answer" 2>/dev/null; then
	no "no answer with the second address: nothing more can be tested"
	t_done it_failover
	exit 1
fi
check "whoami lists both" [ "$(dp sato.k --json whoami | jq -r '.switches | join(" ")')" = "$(u "$A") $(u "$B")" ]
start_switch || no "denpod did not start"

# ---- (1) the first address dead: everything through the second ----
body "1. (C) Through the second address."
M1=$(dp sato.k send --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject one --body "$T/body" 2>"$T/e1")
check "send works with the primary dead ($M1)" [ -n "$M1" ]
check "... and the device remembers the second address" [ "$(last sato.k)" = "$(u "$B")" ]
ID1=$(dp ono.r --json inbox 2>/dev/null | jq -r '.cables[0].cable_id')
check "inbox works (the reader's first command)" [ -n "$ID1" ] && check "... listing the cable" [ "$ID1" != null ]
check "read works" eval "dp ono.r read '$ID1' 2>/dev/null | grep -q 'Through the second address'"
check "ack works" eval "dp ono.r ack '$ID1' >/dev/null 2>&1"
check "status works" eval "dp sato.k status '$ID1' >/dev/null 2>&1"
check "sent works" eval "dp sato.k sent 2>/dev/null | grep -q '$ID1'"
check "key status works" eval "dp sato.k key status >/dev/null 2>&1"
# the next command starts at the second: a listener at the first now counts every connection
start_helper count "$A" "$T/first.log" || no "listener at the first address"
dp sato.k inbox >/dev/null 2>&1 && dp ono.r inbox >/dev/null 2>&1 || no "inbox with a listener at the first"
check "the next commands start at the second (no connection to the first)" [ ! -s "$T/first.log" ]
dp kato.t inbox >"$T/k.out" 2>&1 || no "a new device's first command: $(cat "$T/k.out")"
check "... while a device's first command starts at the primary, so the listener does see it" \
	[ "$(cat "$T/first.log" 2>/dev/null | wc -l)" -ge 1 ]
kill "${HELPERS[0]}"
wait "${HELPERS[0]}" 2>/dev/null

# ---- (2) the switch moves to the other address while a reader waits and a sender sends ----
dp kato.t inbox --wait 60 >"$T/wait.out" 2>"$T/wait.err" &
WPID=$!
rm -f "$T/fifo" && mkfifo "$T/fifo"
dp sato.k send --class SECRET --prec FLASH --to OSAKA --tags ADMN --subject moved --body - \
	<"$T/fifo" >"$T/send.out" 2>"$T/send.err" &
SPID=$!
exec 3>"$T/fifo"
for _ in $(seq 100); do grep -q '^encrypting to' "$T/send.err" && break; sleep 0.05; done
check "the sender resolved at the second address" grep -q '^encrypting to' "$T/send.err"
sleep 0.5 # the reader's long-poll is held at the second address
stop_switch || no "denpod did not stop cleanly"
sed -i "s|^listen=.*|listen=127.0.0.1:$A|" "$T/sw/denpod.conf"
(echo "1. (C) Sent while the switch moved." >&3) 2>/dev/null # a subshell: a sender gone is a failure, not SIGPIPE
exec 3>&-
sleep 1
start_switch || no "denpod did not start on the first address"
wait "$SPID"
rc=$?
check "the sender goes on by itself (exit $rc; $(tail -n 1 "$T/send.err"))" [ $rc = 0 ]
M2=$(cat "$T/send.out")
wait "$WPID"
rc=$?
check "the waiting reader goes on by itself (exit $rc; $(tail -n 1 "$T/wait.err"))" [ $rc = 0 ]
check "... and gets the cable sent meanwhile ($M2)" grep -q "${M2:-none}" "$T/wait.out"
check "the sender now starts at the first address" [ "$(last sato.k)" = "$(u "$A")" ]
check "the reader too" [ "$(last kato.t)" = "$(u "$A")" ]
check "two cables stored, none doubled" [ "$(q 'SELECT count(*) || "/" || count(DISTINCT cable_id) FROM cables;')" = 2/2 ]
check "with the MRNs the sender was told" \
	[ "$(q "SELECT group_concat(mrn, ',') FROM (SELECT mrn FROM cables ORDER BY mrn);")" = "$M1,$M2" ]

# ---- (3) an answer lost on the way: the same submission again at the next address ----
S=$(free_port)
start_helper swallow "$S" "$A" 60000 "$T/swallow.log" || no "relay"
set_urls "$(u "$S"), $(u "$A")"
{ device_request mori.y HQ && device_enrol mori.y; } || no "enrol mori.y"
head -c 200000 /dev/urandom >"$T/annex.bin"
body "1. (C) The answer to this one is lost once."
dp mori.y --json send --class SECRET --prec ROUTINE --to TOKYO --tags ADMN --subject lost \
	--body "$T/body" --attach "$T/annex.bin" >"$T/dup.json" 2>"$T/dup.err"
rc=$?
check "the send succeeds (exit $rc; $(tail -n 1 "$T/dup.err"))" [ $rc = 0 ]
check "the relay swallowed the switch's answer" grep -q '^swallowed' "$T/swallow.log"
DID=$(jq -r .cable_id "$T/dup.json")
DMRN=$(jq -r .mrn "$T/dup.json")
check "the retry at the next address is answered as a duplicate" [ "$(jq -r .duplicate "$T/dup.json")" = true ]
check "... with the MRN the switch gave it first ($DMRN)" \
	[ "$(q "SELECT mrn FROM cables WHERE cable_id = x'$DID';")" = "$DMRN" ]
check "stored once" [ "$(q "SELECT count(*) FROM cables WHERE cable_id = x'$DID';")" = 1 ]
check "three cables in all" [ "$(q 'SELECT count(*) FROM cables;')" = 3 ]
check "the device now starts at the address that answered" [ "$(last mori.y)" = "$(u "$A")" ]

# ---- (4) another switch's key first in the list: the pin is never bypassed ----
P3=$(free_port)
D init --data "$T/sw2" --url "$(u "$P3")" --listen "127.0.0.1:$P3" >/dev/null 2>&1 || no "second switch init"
"$DENPOD" run --data "$T/sw2" >"$T/run2.log" 2>&1 &
P2=$!
for _ in $(seq 100); do grep -q listening "$T/run2.log" && break; sleep 0.1; done
set_urls "$(u "$P3"), $(u "$A")"
{ device_request abe.s HQ && device_enrol abe.s; } || no "enrol abe.s"
dp abe.s inbox >"$T/pin.out" 2>"$T/pin.err"
rc=$?
check "another key at the first address: refused (exit 1, got $rc)" [ $rc = 1 ]
check "... with the pin error" grep -q "does not present the pinned TLS key" "$T/pin.err"
check "... and not through the second address (it never answered)" [ ! -e "$T/abe.s/switch" ]
kill "$P2"
wait "$P2" 2>/dev/null
P2=
check "with that switch gone, the same device works through the second" eval "dp abe.s inbox >/dev/null 2>&1"
check "... and remembers it" [ "$(last abe.s)" = "$(u "$A")" ]

# HOME/switch is only a hint: an address the answer does not list, or junk, means the primary
head -c 600 /dev/urandom >"$T/sato.k/switch"
check "a damaged HOME/switch: the command still works (from the primary)" eval "dp sato.k inbox >/dev/null 2>&1"
printf '%s\n' "$(u "$P3")" >"$T/sato.k/switch"
check "an address not in the list: the same" eval "dp sato.k inbox >/dev/null 2>&1"
printf '%s\n' "$(u "$B")" >"$T/sato.k/switch"
check "the remembered address dead now: the command goes on to the next" eval "dp sato.k inbox >/dev/null 2>&1"
check "... and remembers that one" [ "$(last sato.k)" = "$(u "$A")" ]

# ---- (6) a new list for an enrolled device: a new answer from the same switch ----
N=$(free_port)
set_urls "$(u "$N"), $(u "$A")"
DEV=$(dp sato.k --json whoami 2>/dev/null | jq -r .device)
D device answer "${DEV:0:16}" --out "$T/sato.k.renewed" >"$T/renew.out" 2>&1 || no "device answer: $(cat "$T/renew.out")"
check "the new answer lists the new addresses" \
	[ "$(grep '^Switch-URL:' "$T/sato.k.renewed" 2>/dev/null | paste -sd' ')" = "Switch-URL: $(u "$N") Switch-URL: $(u "$A")" ]
check "the device imports it over its answer" eval "dp sato.k enrol --answer '$T/sato.k.renewed' >/dev/null 2>&1"
check "whoami lists the new addresses" \
	[ "$(dp sato.k --json whoami 2>/dev/null | jq -r '.switches | join(" ")')" = "$(u "$N") $(u "$A")" ]
check "... and the first is dead: the command goes on to the second" eval "dp sato.k inbox >/dev/null 2>&1"
check "the older answer is not taken back" not eval "dp sato.k enrol --answer '$T/sato.k.answer' >/dev/null 2>&1"
{ DENPOD_DATA="$T/sw2" D post add HQ --hq &&
	DENPOD_DATA="$T/sw2" D approve "$T/sato.k/enrol-request.txt" --clearance SECRET --out "$T/sato.k.other"; } \
	>/dev/null 2>&1 || no "the other switch's answer"
dp sato.k enrol --answer "$T/sato.k.other" >/dev/null 2>"$T/other.err"
rc=$?
check "an answer of another switch (other keys) is refused (exit $rc)" [ $rc = 1 ]
check "... the answer kept" [ "$(dp sato.k --json whoami 2>/dev/null | jq -r '.switches | join(" ")')" = "$(u "$N") $(u "$A")" ]
check "a device not active gets no new answer" eval "D device suspend \"\${DEV:0:16}\" >/dev/null 2>&1 &&
	! D device answer \"\${DEV:0:16}\" --out '$T/x.answer' >/dev/null 2>&1 && [ ! -e '$T/x.answer' ] &&
	D device reinstate \"\${DEV:0:16}\" >/dev/null 2>&1"

# ---- (5) every address down: each named, with why, and what to do ----
# (`denpo archive`: inbox and read go offline instead, listing what the device
# holds -- tests/it_offline.sh -- and say why the same way)
stop_switch || no "denpod did not stop"
DENPO_FAILOVER_WAIT=1 dp sato.k inbox >/dev/null 2>"$T/down.err"
rc=$?
check "switch down at every address: inbox goes offline (exit 0, got $rc)" [ $rc = 0 ]
check "... saying so, and why" grep -q "offline: the switch cannot be reached (no address of the switch answered: $(u "$A"): Failed to connect" "$T/down.err"
DENPO_FAILOVER_WAIT=1 dp sato.k archive >/dev/null 2>"$T/down.err"
rc=$?
check "switch down at every address: exit 1 (got $rc)" [ $rc = 1 ]
# (sato.k's answer lists N, A since (6); A answered last, so it is tried first)
check "the message names each address and why, in the order tried" \
	grep -q "no address of the switch answered: $(u "$A"): Failed to connect[^;]*; $(u "$N"): Failed to connect" "$T/down.err"
check "... and what to do" grep -q "check this device's network" "$T/down.err"
[ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"
t_done it_failover
