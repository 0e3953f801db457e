#!/usr/bin/env bash
# it_privsep.sh - the log key lives in the signer only (denpod/signer.h,
# denpod/sandbox.h): the process that faces the network is a child that holds
# no byte of log.key, cannot open the key files, dies at a forbidden system
# call, and cannot get a log signed that does not extend what was signed;
# signals reach it through the signer, and it dies with the signer.
. "$(dirname "$0")/lib.sh"
need_programs it_privsep "$DENPOD" "$DENPO"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="privsep test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
# the SAN=1 build confines itself only when asked, and its leak check cannot run confined
export DENPOD_SAN_SANDBOX=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
child_of() { pgrep -P "$1" denpod | head -n 1; }
# the process listening on the switch's port: the one that faces the network
listener() { ss -ltnpH "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -n 1; }
send() { dp sato.k send --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN --subject "$1" \
	--body "$T/body" >/dev/null 2>>"$T/send.err"; }
size() { D log checkpoint 2>/dev/null | sed -n 2p; }
# gone PID: no such process, or only its exit status left (a zombie, its parent gone)
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
printf '1. (U) Privilege separation.\n' >"$T/body"

{
	switch_init && D post add HQ --hq && D officer add sato.k --post HQ --clearance SECRET
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ
start_switch || no "denpod did not start"
NET=$(listener)
check "the process that listens ($NET) is not the one started ($PID)" test -n "$NET" -a "$NET" != "$PID"
check "... it is its child: denpod run is two processes" [ "$(child_of "$PID")" = "$NET" ]
check "a cable goes end to end" send one
s1=$(size)
check "checkpoints are signed through the signer (size $s1)" [ "${s1:-0}" -gt 2 ]

# ---- no byte of the key in the network process ----
python3 "$ROOT/tests/memscan.py" "$NET" "$T/sw/log.key" >"$T/scan.net" 2>&1
check "the network process's memory holds no 12 bytes of log.key ($(head -1 "$T/scan.net"))" \
	grep -qx absent "$T/scan.net"
check "... having read all of it ($(sed -n 2p "$T/scan.net"))" grep -q '^scanned [1-9]' "$T/scan.net"
python3 "$ROOT/tests/memscan.py" "$PID" "$T/sw/log.key" >"$T/scan.sig" 2>&1
check "the signer's memory does hold it (the scan can find it: $(head -1 "$T/scan.sig"))" \
	grep -q '^found' "$T/scan.sig"
check "the network process is confined: no_new_privs" grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$NET/status"
check "... and a seccomp filter" grep -q '^Seccomp:[[:space:]]*2' "/proc/$NET/status"

# ---- signals pass through the signer ----
n0=$(grep -c "SIGHUP: detection configuration re-read" "$T/run.log")
kill -HUP "$PID"
sleep 1
check "SIGHUP to the signer reaches the network process (detect.conf re-read)" \
	[ "$(grep -c "SIGHUP: detection configuration re-read" "$T/run.log")" -gt "$n0" ]
check "it still serves after SIGHUP" send two
stop_switch
check "SIGTERM to the signer stops both, cleanly" [ $? = 0 ]
check "no network process is left" gone "$NET"

# ---- the network process cannot open the key files ----
DENPOD_TEST_SANDBOX=open-keys start_switch || no "denpod did not start"
for f in log.key sign.key tls.key signer.state; do
	check "the confined network process cannot open $f" \
		grep -q "test: open $f: Permission denied" "$T/run.log"
done
# Landlock confines the thread that asks it: each of the threads started
# before the sandbox (the writer, the log integrator, the verify pool, the
# scrub) is confined too, or a parser bug on the loop could have one of
# them open a key file for it
nth=$(sed -nE 's/.*test: thread [0-9]+ of ([0-9]+) .*: open .*/\1/p' "$T/run.log" | head -n 1)
check "every thread of the network process was tried (${nth:-none} besides the loop)" [ "${nth:-0}" -ge 4 ]
check "... and each of them is refused every key file (${nth:-0} x 4 refusals)" \
	[ "$(grep -c 'test: thread [0-9]* of [0-9]* ([a-z-]*): open [a-z.]*: Permission denied' "$T/run.log")" = $((${nth:-0} * 4)) ]
check "... none opened one" not grep -q 'test: thread .*: opened' "$T/run.log"
for n in dpd-writer dpd-log dpd-verify dpd-scrub; do
	check "... among them $n (threads are named for top -H and perf)" grep -q "test: thread [0-9]* of [0-9]* ($n): open log.key" "$T/run.log"
done
check "while it still serves" send three
NET=$(child_of "$PID")
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
sleep 0.5
check "kill -9 of the signer takes the network process with it" gone "$NET"

# ---- SIGRTMIN blocked by whatever starts denpod (the sandbox asks each thread by it) ----
printf '%s\n' '#!/bin/sh' \
	"exec python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGRTMIN]); os.execv(sys.argv[1], sys.argv[1:])' \"$DENPOD\" \"\$@\"" \
	>"$T/masked"
chmod +x "$T/masked"
REAL_DENPOD=$DENPOD DENPOD=$T/masked
DENPOD_TEST_SANDBOX=open-keys start_switch || no "denpod did not start with SIGRTMIN blocked"
check "started with SIGRTMIN blocked, every thread still confines itself" \
	[ "$(grep -c 'test: thread [0-9]* of [0-9]* ([a-z-]*): open [a-z.]*: Permission denied' "$T/run.log")" = $((${nth:-0} * 8)) ]
check "... and it serves" send four
stop_switch
n0=$(grep -c "did not answer the request to confine itself" "$T/run.log")
DENPOD_TEST_SANDBOX=keep-sigmask timeout 30 "$DENPOD" run --data "$T/sw" >>"$T/run.log" 2>&1
rc=$?
check "a thread that does not answer (SIGRTMIN left blocked in it): denpod run does not serve (exit $rc)" [ "$rc" = 1 ]
check "... naming the thread" [ "$(grep -c "its thread dpd-[a-z]* ([0-9]*) did not answer the request to confine itself within 5 s" "$T/run.log")" -gt "$n0" ]
DENPOD=$REAL_DENPOD

# ---- a forbidden system call ----
n0=$(grep -c listening "$T/run.log")
DENPOD_TEST_SANDBOX=ptrace timeout 30 "$DENPOD" run --data "$T/sw" >>"$T/run.log" 2>&1
rc=$?
check "a forbidden system call (ptrace of the signer) stops denpod run (exit $rc)" [ "$rc" = 1 ]
check "... naming the call" grep -q 'made system call 101, outside its allowlist' "$T/run.log"
check "... and the signer says the network process died of SIGSYS" \
	grep -q 'network process was killed by SIGSYS' "$T/run.log"

# ---- the signer signs only what extends what it signed ----
start_switch || no "denpod did not start"
stop_switch
db_keep old || no "copy the store"
start_switch || no "denpod did not start"
send four && send five || no "sends after the copy"
stop_switch
s2=$(size) # once stopped: the last checkpoint is the last the signer signed (a send's entries may sign a tick later)
db_keep new || no "copy the store"
db_restore old || no "put the old store back"
timeout 30 "$DENPOD" run --data "$T/sw" >>"$T/run.log" 2>&1
rc=$?
check "a database older than what the signer signed (size $s2) is refused at start (exit $rc)" [ "$rc" = 1 ]
check "... saying so" grep -q "signer signed the log up to size $s2" "$T/run.log"
db_restore new || no "put the right store back"
start_switch || no "denpod did not start again on the right database"
check "with the right database it serves again" send six
stop_switch
t_done it_privsep
