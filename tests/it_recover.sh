#!/usr/bin/env bash
# it_recover.sh - devices after the switch's database was restored from an
# older backup (issue 12, item 5; docs/operations.md, "After a restore:
# devices"), through the real programs.
#
# Day 0: four devices witness the log; a backup is taken (sqlite3 .backup,
# the switch running).  Day 9 (clocks moved on with DENPO_TEST_CLOCK_OFFSET,
# so every device generates and publishes new epoch keys and erases the old
# ones): cables are sent and read, so three devices (sato.k, tanaka.h,
# ito.m) verify checkpoints the backup does not hold; mori.y does not use
# the switch after the backup.  Then the database is restored
# (restore_backup: the steps `denpod restore` will take over) and the loss
# accepted with `denpod log rollback --signed-checkpoint` of the highest
# device checkpoint, signer.state gone as on a new machine.  Checked:
#   - every command of the three devices fails with fork evidence (exit 3);
#   - forged restores are refused by `denpo log recover` with exit 3 and the
#     device keeps its checkpoint: a switch forked without LOG-ROLLBACK, a
#     rollback whose lost range does not hold the device's checkpoint, one
#     that claims another root for the device's very size (kept as
#     rollback-refused-*.txt);
#   - without a terminal and without --yes it refuses and changes nothing;
#   - with --yes it recovers: old checkpoint kept, record written (0600),
#     evidence kept, the switch's log holds a WITNESS-RESET alert entry
#     naming the device, the alert file has it, a second report is a
#     duplicate, and a forged report is refused by the switch;
#   - then inbox, send and read work, including a cable to ito.m, whose
#     keys were all published after the backup (it republished them);
#   - mori.y needs no recovery and says so.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_recover "$DENPOD" "$DENPO" "$TS"
pg_only_skip it_recover "its backup is SQLite's online .backup of denpod.db, its restore a copy of the file, and it drops tables to stand for a denpod.db from before the rollbacks table"
need_tools it_recover sqlite3 jq curl
t_workdir
# RECOVER_KEEP=1: keep the work directory to look at afterwards
[ -n "${RECOVER_KEEP:-}" ] && t_cleanup() { [ -n "$PID" ] && kill "$PID"; wait; echo "kept $T" >&2; }
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="recover test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
DAY=86400
export DENPO_TEST_CLOCK_OFFSET=0
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
quiet() { "$@" >/dev/null; }
# all 'A && B': for check, a condition of several commands (evaluated here, with this shell's functions)
all() { eval "$1"; }
cksize() { sed -n 2p "$T/$1/log/checkpoint" 2>/dev/null; }
evidence() { ls "$T/$1"/log/fork-evidence-*.txt 2>/dev/null | wc -l; }
q() { sqlite3 -batch -noheader "$DENPOD_DATA/denpod.db" "PRAGMA busy_timeout=5000; $1" | grep -v '^5000$'; }
# wait until the switch signed everything appended (its checkpoint is the log's size)
signed() {
	for _ in $(seq 50); do
		[ "$(q "SELECT max(size) FROM log_checkpoints")" = "$(q "SELECT max(idx)+1 FROM log_entries")" ] && return 0
		sleep 0.1
	done
	return 1
}
# restore_backup FILE: the switch stopped, its database replaced by the backup (what
# `denpod restore` will do); the caller accepts the loss or not.
restore_backup() {
	[ -z "$PID" ] || stop_switch || no "stop for the restore"
	rm -f "$T/sw/denpod.db-wal" "$T/sw/denpod.db-shm"
	cp "$1" "$T/sw/denpod.db" && chmod 600 "$T/sw/denpod.db"
}

{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add BEIJING && D post add PARIS &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add ito.m --post BEIJING --clearance SECRET &&
		D officer add mori.y --post PARIS --clearance SECRET &&
		D officer add test.x --post HQ --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON ito.m:BEIJING mori.y:PARIS
# a device with its TLS key in files, to talk to the API with curl
"$TS" enrol "$T/x" test.x HQ && D approve "$T/x/request" --out "$T/x/answer" >/dev/null || no "enrol test.x"
start_switch || no "denpod did not start"
ITO=$(dp ito.m --json whoami | jq -r .device)

# ---- day 0: everyone witnesses the log; the backup ----
body "1. (U) Before the backup."
B1=$(send sato.k --class UNCLASSIFIED --prec ROUTINE --to WASHINGTON,BEIJING,PARIS --tags ADMN --subject before) ||
	no "send before the backup: $(cat "$T/send.err")"
for h in tanaka.h ito.m mori.y; do dp "$h" read "$B1" >/dev/null || no "$h reads $B1"; done
signed || no "the switch signs what was appended"
for h in sato.k tanaka.h ito.m mori.y; do dp "$h" inbox >/dev/null || no "$h inbox on day 0"; done
sqlite3 "$T/sw/denpod.db" ".backup '$T/backup.db'" || no "backup"
M=$(sqlite3 "$T/backup.db" "SELECT max(size) FROM log_checkpoints")
NSIZE=$(cksize mori.y)
check "mori.y's checkpoint ($NSIZE) is in the backup (checkpoint $M)" [ "${NSIZE:-99999}" -le "${M:-0}" ]

# ---- day 9: new keys everywhere; cables the backup does not hold ----
stop_switch || no "stop on day 0"
export DENPO_TEST_CLOCK_OFFSET=$((9 * DAY))
start_switch || no "denpod on day 9"
for h in sato.k tanaka.h ito.m; do dp "$h" inbox >/dev/null 2>&1 || no "$h inbox on day 9"; done
check "ito.m's epoch keys on day 9 are all newer than the backup's" \
	[ "$(sqlite3 "$T/backup.db" "SELECT count(*) FROM epoch_keys WHERE hex(device)=upper('$ITO') AND not_after > strftime('%s','now') + $((9 * DAY))")" = 0 ]
body "1. (U) After the backup: lost by the restore."
B2=$(send sato.k --class UNCLASSIFIED --prec ROUTINE --to WASHINGTON,BEIJING --tags ADMN --subject after) ||
	no "send after the backup: $(cat "$T/send.err")"
for h in tanaka.h ito.m; do dp "$h" read "$B2" >/dev/null || no "$h reads $B2 on day 9"; done
signed || no "the switch signs what was appended on day 9"
for h in sato.k tanaka.h ito.m; do dp "$h" inbox >/dev/null || no "$h inbox after $B2"; done
SA=$(cksize sato.k) SB=$(cksize tanaka.h) SC=$(cksize ito.m)
check "three devices verified checkpoints the backup lacks ($SA $SB $SC > $M)" \
	all '[ "$SA" -gt "$M" ] && [ "$SB" -gt "$M" ] && [ "$SC" -gt "$M" ]'
stop_switch || no "stop on day 9"
cp -a "$T/sw/signer.state" "$T/signer.state.lost"
ROOTA=$(sed -n 3p "$T/sato.k/log/checkpoint" | base64 -d | od -An -tx1 | tr -d ' \n')

# ---- forgeries: refused, the device keeps its checkpoint ----
# 1. a switch forked from the backup with no LOG-ROLLBACK (its signer.state removed)
restore_backup "$T/backup.db"
rm -f "$T/sw/signer.state"
start_switch || no "the forked switch"
dp sato.k inbox >/dev/null 2>"$T/fork1.err"
rc=$?
check "forked switch: a command fails (exit $rc) with evidence" all '[ "$rc" = 3 ] && [ "$(evidence sato.k)" -ge 1 ]'
dp sato.k log recover --yes >"$T/fake1.out" 2>"$T/fake1.err"
rc=$?
check "forked switch: log recover refuses (exit $rc)" [ "$rc" = 3 ]
check "... saying no LOG-ROLLBACK explains it" \
	grep -q "no LOG-ROLLBACK in the switch's log explains this: it is not a restore; report .*/log/fork-evidence-\*.txt to security operations" "$T/fake1.err"
check "... and keeps its checkpoint" [ "$(cksize sato.k)" = "$SA" ]
# 2. a rollback whose lost range ends below the device's checkpoint
restore_backup "$T/backup.db"
sed "s/^size .*/size $((SA - 1))/" "$T/signer.state.lost" >"$T/sw/signer.state"
D log rollback --operator ito >/dev/null || no "rollback (range below sato.k's)"
start_switch || no "switch after the short rollback"
dp sato.k log recover --yes >"$T/fake2.out" 2>"$T/fake2.err"
rc=$?
check "a rollback that does not hold the device's checkpoint: refused (exit $rc)" [ "$rc" = 3 ]
check "... as no restore" grep -q "no LOG-ROLLBACK in the switch's log explains this" "$T/fake2.err"
check "... checkpoint kept" [ "$(cksize sato.k)" = "$SA" ]
# 3. a rollback that claims another root for the device's very size: a lie, kept
restore_backup "$T/backup.db"
sed -e "s/^size .*/size $SA/" -e "s/^root .*/root $(printf '%064d' 7)/" "$T/signer.state.lost" >"$T/sw/signer.state"
D log rollback --operator ito >/dev/null || no "rollback (another root)"
start_switch || no "switch after the lying rollback"
dp sato.k log recover --yes >"$T/fake3.out" 2>"$T/fake3.err"
rc=$?
check "a rollback with another root for the device's size: refused (exit $rc)" [ "$rc" = 3 ]
check "... kept as rollback-refused-*.txt (0600)" \
	[ "$(stat -c %a "$T"/sato.k/log/rollback-refused-*.txt 2>/dev/null)" = 600 ]
check "... checkpoint kept" [ "$(cksize sato.k)" = "$SA" ]

# ---- the real restore ----
# on a new machine: no signer.state; the highest checkpoint a device saw (its log/checkpoint,
# a note signed by log.key) stands in for it (denpod log rollback --signed-checkpoint)
restore_backup "$T/backup.db"
rm -f "$T/sw/signer.state"
HI=sato.k
for h in tanaka.h ito.m; do [ "$(cksize "$h")" -gt "$(cksize "$HI")" ] && HI=$h; done
cp "$T/$HI/log/checkpoint" "$T/device.cp"
D log rollback --operator ito --signed-checkpoint "$T/device.cp" >"$T/rollback.out" 2>"$T/rollback.err"
check "no signer.state: log rollback --signed-checkpoint of $HI's checkpoint (size $(cksize "$HI")): exit 0" \
	grep -q "^log rolled back from size $(cksize "$HI") to checkpoint $M" "$T/rollback.out"
check "... and signer.state written for the restored checkpoint" grep -q "^size $M$" "$T/sw/signer.state"
# as a database whose LOG-ROLLBACK was logged by a denpod from before the rollbacks table (main's):
# the start adds the table and finds the entry in the log
sqlite3 "$T/sw/denpod.db" "DROP TABLE log_rollbacks; DROP TABLE log_recoveries;" || no "drop the rollbacks table"
start_switch || no "denpod on the restored database"
# fails before: every command of a device that saw the lost checkpoints
for h in sato.k tanaka.h ito.m; do
	dp "$h" inbox >/dev/null 2>"$T/$h.fork"
	rc=$?
	check "$h: inbox fails with fork evidence after the restore (exit $rc)" \
		all '[ "$rc" = 3 ] && grep -q "report .*fork-evidence-.*to security operations" "$T/$h.fork"'
done
n0=$(evidence tanaka.h)
dp tanaka.h log recover </dev/null >"$T/noyes.out" 2>"$T/noyes.err"
rc=$?
check "no terminal, no --yes: refused (exit $rc)" all '[ "$rc" = 2 ] && grep -q -- "give --yes" "$T/noyes.err"'
check "... after showing what it would accept" grep -q "restored    to size $M" "$T/noyes.out"
check "... and nothing changed" \
	all '[ "$(cksize tanaka.h)" = "$SB" ] && [ -z "$(ls "$T"/tanaka.h/log/recovered-* 2>/dev/null)" ]'
for h in sato.k tanaka.h ito.m; do
	dp "$h" log recover --yes >"$T/$h.rec" 2>"$T/$h.recerr"
	rc=$?
	check "$h: log recover --yes recovers (exit $rc)" all '[ "$rc" = 0 ] && grep -q "^recovered:" "$T/$h.rec"'
done
check "it shows who rolled back and what was lost" \
	all 'grep -q "by          ito" "$T/sato.k.rec" && grep -q "this device had verified size $SA" "$T/sato.k.rec"'
check "the old checkpoint is kept" cmp -s <(sed -n 2p "$T"/sato.k/log/checkpoint-before-recovery-*) <(echo "$SA")
check "the record is written, 0600, with the rollback entry" \
	all '[ "$(stat -c %a "$T"/sato.k/log/recovered-*.txt)" = 600 ] &&
	grep -q "^Rollback-Entry: " "$T"/sato.k/log/recovered-*.txt && grep -q "^DENPO-LOG-RECOVERY/1" "$T"/sato.k/log/recovered-*.txt'
check "the fork evidence stays" all '[ "$(evidence tanaka.h)" -ge "$n0" ] && [ "$n0" -ge 1 ]'
check "the report was made (nothing pending)" [ ! -e "$T/sato.k/log/recovery-report" ]
D log show >"$T/logshow.txt" || no "denpod log show"
for h in sato.k tanaka.h ito.m; do
	dev=$(dp "$h" --json whoami | jq -r .device)
	check "the switch's log names $h's witness reset" \
		all 'grep -A3 "^Rule: WITNESS-RESET" "$T/logshow.txt" | grep -q "^Device: $dev"'
done
check "... after which rollback and from which size" \
	grep -q "^Detail: reset its witness of the log after the LOG-ROLLBACK at entry [0-9]* (signed-size [0-9]*, restored-size $M): it had verified size $SA " "$T/logshow.txt"
check "the alert outputs have it (rule WITNESS-RESET, log index)" [ -n "$(jq -c 'select(.rule.name=="WITNESS-RESET" and .event.action=="witness-reset" and .user.target.name=="sato.k" and (.denpo.log_index|type)=="number")' "$T/sw/alerts.jsonl")" ]
# the switch's checks of a report, straight through its API (test.x: any enrolled device
# may report, but only with a checkpoint the log key signed that a real rollback explains)
cu() { curl -sk --cert "$T/x/tls.crt" --key "$T/x/tls.pem" "https://127.0.0.1:$PORT$1" "${@:2}"; }
# report INDEX FILE: POST /v1/log/recovered with the checkpoint in FILE; prints the HTTP status
report() { cu /v1/log/recovered -o "$T/report.json" -w '%{http_code}' -X POST --data "$(jq -n --argjson i "$1" --rawfile c "$2" '{rollback:$i,checkpoint:$c}')"; }
RBI=$(cu /v1/log/rollbacks | jq -r '.rollbacks[-1].index')
OLD=$(ls "$T"/sato.k/log/checkpoint-before-recovery-*)
sed '2s/.*/'"$SA"'1/' "$OLD" >"$T/forged.ck"
check "GET /v1/log/rollbacks lists the rollback (entry $RBI)" [ "$RBI" -ge "$M" ] 2>/dev/null
check "... as the LOG-ROLLBACK entry" \
	bash -c "curl -sk --cert '$T/x/tls.crt' --key '$T/x/tls.pem' https://127.0.0.1:$PORT/v1/log/rollbacks | jq -r '.rollbacks[-1].entry' | base64 -d | grep -q '^Act: LOG-ROLLBACK$'"
check "a report naming an entry that is no rollback: 409" [ "$(report 0 "$OLD")" = 409 ]
check "a report with a checkpoint the rollback does not explain (mori.y's, size $NSIZE): 409" \
	[ "$(report "$RBI" "$T/mori.y/log/checkpoint")" = 409 ]
check "a report with a checkpoint the log key did not sign: 400" \
	[ "$(report "$RBI" "$T/forged.ck")" = 400 ]
check "nothing was logged for them" [ "$(D log show | grep -c '^Rule: WITNESS-RESET')" = 3 ]
check "a report with a real one: 201, logged" \
	all '[ "$(report "$RBI" "$OLD")" = 201 ] && [ "$(D log show | grep -c "^Rule: WITNESS-RESET")" = 4 ]'
check "the same again: 200, a duplicate, nothing more logged" \
	all '[ "$(report "$RBI" "$OLD")" = 200 ] && [ "$(jq -r .duplicate "$T/report.json")" = true ] &&
	[ "$(D log show | grep -c "^Rule: WITNESS-RESET")" = 4 ]'

# ---- the devices work again ----
for h in sato.k tanaka.h ito.m mori.y; do
	dp "$h" inbox >/dev/null 2>"$T/$h.after"
	rc=$?
	check "$h: inbox works after the recovery (exit $rc)" [ "$rc" = 0 ]
done
check "ito.m published its keys again" grep -q "keys published again: [1-9]" "$T/ito.m.rec"
body "1. (U) After the restore."
# by its id: the restored switch numbers it with an MRN a lost cable had (see the report)
B3=$(send sato.k --json --class UNCLASSIFIED --prec ROUTINE --to WASHINGTON,BEIJING --tags ADMN --subject restored | jq -r .cable_id) ||
	no "send after the restore: $(cat "$T/send.err")"
check "a cable to ito.m (all its keys published after the backup) is read" \
	bash -c "'$DENPO' --home '$T/ito.m' read '$B3' | grep -q 'After the restore'"
check "tanaka.h reads it" bash -c "'$DENPO' --home '$T/tanaka.h' read '$B3' >/dev/null"
body "1. (U) Reply."
check "ito.m sends" quiet send ito.m --class UNCLASSIFIED --prec ROUTINE --to HQ --tags ADMN --subject reply
check "a second log recover: nothing to recover" \
	bash -c "'$DENPO' --home '$T/sato.k' log recover --yes | grep -q 'nothing to recover'"
dp mori.y log recover >"$T/mori.out" 2>&1
rc=$?
check "mori.y (never saw the lost checkpoints) needs no recovery (exit $rc)" \
	all '[ "$rc" = 0 ] && grep -q "nothing to recover" "$T/mori.out"'
check "... and has no evidence" [ "$(evidence mori.y)" = 0 ]
check "--json: only JSON on stdout" [ "$(dp mori.y --json log recover 2>/dev/null | jq -r .recovered)" = false ]
check "denpod log verify passes" D log verify >/dev/null
t_done it_recover
