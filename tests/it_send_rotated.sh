#!/usr/bin/env bash
# it_send_rotated.sh - a cable sent right after an addressee's `denpo key
# rotate` reaches that addressee, at its new epoch (denpo/send.c,
# resolve_logged).  The rotated key is current at once but under no signed
# checkpoint until the log signer signs the next one; the switch lists the
# device as unreachable ("key not yet in the log") until then, and a send
# in that window used to go without the cleared reader (the rare 404 of
# it_migrate's "ono.r reads the cable to its rotated epoch").  Here the
# window is held open for as long as needed by stopping the signer
# (SIGSTOP on denpod's main process): the send must say it waits for the
# key, then, the signer resumed, encrypt to the new epoch.
. "$(dirname "$0")/lib.sh"
need_programs it_send_rotated "$DENPOD" "$DENPO"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="rotated send test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
SIGNER_STOPPED= SEND=
# the signer is never left stopped: denpod could not stop, nor the test end; nor is
# the background send left running (t_cleanup's `wait` would wait out its retries)
trap '[ -z "$SIGNER_STOPPED" ] || kill -CONT "$PID" 2>/dev/null; [ -z "$SEND" ] || kill "$SEND" 2>/dev/null; t_cleanup' EXIT
{
	switch_init && D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance SECRET &&
		D officer add kato.t --post TOKYO --clearance SECRET
} >"$T/init.out" 2>&1 || no "switch setup: $(tail -n 3 "$T/init.out")"
enrol_devices sato.k:HQ ono.r:TOKYO kato.t:TOKYO
start_switch || { no "denpod did not start"; t_done it_send_rotated; exit 1; }
printf '%s\n' "1. (C) BEFORE-ROTATION." >"$T/body"
dp sato.k send --body "$T/body" --class CONFIDENTIAL --prec ROUTINE --to TOKYO --tags ADMN \
	--subject before >/dev/null 2>"$T/send0.err" || no "send before the rotation: $(cat "$T/send0.err")"
# epoch: ono.r's current one by the switch's records (the highest valid now)
ono_epoch() {
	db_sql "SELECT max(k.epoch) FROM epoch_keys k JOIN devices d ON d.id=k.device WHERE d.officer='ono.r'
		AND k.not_before <= strftime('%s','now') AND k.not_after > strftime('%s','now')"
}
E0=$(ono_epoch)

kill -STOP "$PID" && SIGNER_STOPPED=1
dp ono.r key rotate >"$T/rotate.out" 2>&1 || no "ono.r key rotate: $(tail -n 3 "$T/rotate.out")"
E1=$(ono_epoch)
check "the rotation published a new current epoch ($E0 -> $E1)" all '[ -n "$E0" ] && [ -n "$E1" ] && [ "$E1" -gt "$E0" ]'
printf '%s\n' "1. (C) RIGHT-AFTER-ROTATION." >"$T/body"
# not through dp: its subshell would be $!, and killing that (the EXIT trap) leaves denpo running
"$DENPO" --home "$T/sato.k" send --body "$T/body" --class CONFIDENTIAL --prec FLASH --to TOKYO \
	--tags ADMN --subject after >"$T/send.out" 2>"$T/send.err" &
SEND=$!
# the send's own word that it waits (or its end, without the fix): at most 10 s
for _ in $(seq 100); do
	grep -q "waiting for it" "$T/send.err" && break
	kill -0 "$SEND" 2>/dev/null || break
	sleep 0.1
done
check "the send waits for ono.r's key to be logged, and says so" \
	grep -q "the new key of ono.r@TOKYO is not yet in the transparency log .*waiting for it" "$T/send.err"
kill -CONT "$PID" && SIGNER_STOPPED=
wait "$SEND"
rc=$?
SEND=
M=$(cat "$T/send.out")
check "the send succeeds once the key is logged (exit $rc)" [ "$rc" = 0 -a -n "$M" ]
check "  it is encrypted to ono.r too: $(grep encrypting "$T/send.err")" \
	grep -q "encrypting to 2 devices: kato.t@TOKYO, ono.r@TOKYO" "$T/send.err"
check "  no addressee left out" not grep -q "will NOT receive" "$T/send.err"
ID=$(D cable list | awk -v m="$M" '$1" "$2" "$3 == m {print $4}')
check "  ono.r's delivery is at its rotated epoch $E1" [ "$(db_sql "SELECT x.epoch FROM deliveries x
	JOIN cables c ON c.seq=x.seq JOIN devices d ON d.id=x.device WHERE c.mrn='$M' AND d.officer='ono.r'")" = "$E1" ]
dp ono.r read "$ID" >"$T/read" 2>&1
check "ono.r reads the cable sent right after its rotation" grep -q "RIGHT-AFTER-ROTATION" "$T/read"
stop_switch || no "stop the switch"
t_done it_send_rotated
