#!/usr/bin/env bash
# it_backup.sh - backup and restore an operator can trust (issue 12, item 5;
# docs/operations.md, "Back up and restore").
#
#   1. `denpod backup` while the switch serves a stream of sends: exit 0 and a
#      line saying what was written; the copy is consistent (`denpod check
#      --data DEST` exits 0, `denpod log verify` too); DEST is 0700 and every
#      file 0600; tls.crt, detect.conf and the manifest are there, signer.state
#      and the alert file are not.
#   2. An existing DEST is refused and left as it was.
#   3. A damaged data directory (one bit of a stored cable, tests/damage.py):
#      exit 1 saying `denpod check` found damage, and nothing at DEST or beside it.
#   4. Cables sent after the backup; then `denpod restore` is refused while the
#      switch runs; a backup with one changed byte is refused by the manifest
#      check and changes nothing; with the switch stopped the restore works: the
#      old database is in before-restore-*/, the switch starts, the log shows
#      LOG-ROLLBACK and RESTORE, a new cable gets an MRN that was not handed out
#      before the restore, and a device still fetches the cables from before the
#      backup (the same bytes).
#   5. Without signer.state (a new machine) restore needs --lost N.
#   6. `denpod log rollback` after a database put back by hand (the old recipe)
#      moves the MRN counters on too: no MRN is handed out twice.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_backup "$DENPOD" "$TS"
pg_only_skip it_backup "denpod backup and restore copy SQLite's file (on PostgreSQL they refuse and name the database server's means: pg_basebackup, WAL archiving); the checks read and damage denpod.db itself"
need_tools it_backup sqlite3 python3 jq curl
t_workdir
STREAM=
trap '[ -n "$STREAM" ] && kill "$STREAM" 2>/dev/null; t_cleanup' EXIT
URL="https://127.0.0.1:$PORT"
mode() { stat -c %a "$1"; }
# send N: N cables from a (HQ) to TOKYO; their "ID MRN" lines appended to $T/sent.ids
send() {
	"$TS" send "$T/a" "$URL" "$PIN" TOKYO CONFIDENTIAL ROUTINE --size 2000 --count "$1" >"$T/send.out" 2>&1
	local rc=$?
	sed -n 's/^201 //p' "$T/send.out" | jq -r '.cable_id + " " + .mrn' >>"$T/sent.ids"
	return $rc
}

# ---- a switch with traffic ----
switch_ab
start_switch || no "denpod did not start"
check "20 cables before the backup" send 20
cp "$T/sent.ids" "$T/before.ids"
# the recipient fetches them: their bytes, to compare after the restore
for id in $(awk '{print $1}' "$T/before.ids"); do
	cu b -o "$T/fetch0.$id" -w '%{http_code}\n' "$URL/v1/cables/$id"
done | sort | uniq -c >"$T/f0.st"
check "the recipient fetches the 20 (200)" grep -q '^ *20 200$' "$T/f0.st"

# ---- 1. a backup while the switch serves a stream of sends ----
(while [ ! -e "$T/stop" ]; do send 3 || echo "send failed" >>"$T/stream.err"; done) &
STREAM=$!
sleep 1
D backup "$T/bk" >"$T/backup.out" 2>&1
brc=$?
n_during=$(wc -l <"$T/sent.ids")
sleep 1
touch "$T/stop"
wait "$STREAM"
STREAM=
cat "$T/backup.out" >&2
check "backup beside a serving switch: exit 0 (got $brc)" [ "$brc" = 0 ]
check "... one line saying what was written (size, log, time)" \
	grep -Eq "^backup: $T/bk written at .*: [0-9]+ files, .*log [0-9]+ entries \(checkpoint [0-9]+\), in [0-9.]+ s" "$T/backup.out"
check "the stream of sends went on during the backup" [ "$(wc -l <"$T/sent.ids")" -gt "$n_during" ]
check "... and every send was accepted" [ ! -s "$T/stream.err" ]
check "the backup is consistent: denpod check --data DEST exits 0" D check --data "$T/bk" >"$T/bkcheck.out" 2>&1
check "... and its log verifies under its log.key" D log verify --data "$T/bk" >/dev/null 2>&1
check "DEST is 0700 (got $(mode "$T/bk"))" [ "$(mode "$T/bk")" = 700 ]
badmode=$(find "$T/bk" -type f ! -perm 0600 | wc -l)
check "every file in DEST is 0600 ($badmode are not)" [ "$badmode" = 0 ]
for f in denpod.db sign.key tls.key log.key tls.crt denpod.conf detect.conf BACKUP; do
	check "DEST holds $f" [ -s "$T/bk/$f" ]
done
check "DEST holds no signer.state" [ ! -e "$T/bk/signer.state" ]
check "DEST holds no alert file" [ ! -e "$T/bk/alerts.jsonl" ]
check "no work directory left beside DEST" [ -z "$(ls -d "$T"/bk.tmp-* 2>/dev/null)" ]
check "the manifest's hashes are the files' (sha256sum)" \
	bash -c "cd '$T/bk' && awk '\$1 == \"file\" {print \$4 \"  \" \$2}' BACKUP | sha256sum -c --quiet"
BK_CABLES=$(sqlite3 "$T/bk/denpod.db" "SELECT count(*) FROM cables")
BK_CP=$(awk '$1 == "checkpoint" {print $2}' "$T/bk/BACKUP")
check "the backup holds the cables accepted before it (20 <= $BK_CABLES < all)" \
	[ "$BK_CABLES" -ge 20 -a "$BK_CABLES" -lt "$(wc -l <"$T/sent.ids")" ]
check "... their bodies in its rows: one file, no row points into the switch's segments" \
	[ "$(sqlite3 "$T/sw/denpod.db" "SELECT count(*) FROM cables WHERE seg IS NULL")" = 0 -a \
	  "$(sqlite3 "$T/bk/denpod.db" "SELECT count(*) FROM cables WHERE seg IS NOT NULL OR length(data) != size")" = 0 ]

# ---- 2. DEST exists: refused, left as it was ----
sum0=$(cat "$T/bk"/* | sha256sum)
D backup "$T/bk" >"$T/again.out" 2>&1
check "backup onto an existing backup: exit 1" [ $? = 1 ]
check "... saying a backup is never overwritten" grep -q "never written over" "$T/again.out"
check "... and the backup is as it was" [ "$(cat "$T/bk"/* | sha256sum)" = "$sum0" ]

# ---- 3. a damaged data directory makes no backup ----
mkdir -m 700 "$T/dmg"
cp "$T/sw"/{sign.key,tls.key,log.key,tls.crt,denpod.conf} "$T/dmg/"
sqlite3 "$T/sw/denpod.db" ".backup '$T/dmg/denpod.db'"
cp -a "$T/sw/cables" "$T/dmg/" # the bodies the copied rows point at (denpod/segment.h)
python3 "$ROOT/tests/damage.py" cable "$T/dmg/denpod.db" "$(head -n 1 "$T/before.ids" | cut -d' ' -f1)" >/dev/null ||
	no "damage.py cable"
D backup "$T/bkd" --data "$T/dmg" >"$T/damaged.out" 2>&1
check "backup of a damaged data directory: exit 1" [ $? = 1 ]
check "... saying denpod check found damage" grep -q "denpod check. found damage" "$T/damaged.out"
check "... naming the damaged cable" grep -qF "($(head -n 1 "$T/before.ids" | cut -d' ' -f2-))" "$T/damaged.out"
check "... and nothing at DEST or beside it" [ -z "$(ls -d "$T"/bkd* 2>/dev/null)" ]

# ---- 4. cables after the backup, then the restore ----
check "10 cables after the backup" send 10
# ... and the recipient fetches them: log entries that are not cables (lost entries > lost cables)
for id in $(tail -n 10 "$T/sent.ids" | awk '{print $1}'); do
	cu b -o /dev/null -w '%{http_code}\n' "$URL/v1/cables/$id"
done | sort | uniq -c >"$T/f2.st"
check "the recipient fetches the 10 (200)" grep -q '^ *10 200$' "$T/f2.st"
cut -d' ' -f2- "$T/sent.ids" | sort >"$T/mrns.before"
D restore "$T/bk" --operator ito >"$T/busy.out" 2>&1
check "restore while the switch runs: exit 1" [ $? = 1 ]
check "... saying to stop the switch" grep -q "stop the switch" "$T/busy.out"
check "... and nothing was moved aside" [ -z "$(ls -d "$T"/sw/before-restore-* 2>/dev/null)" ]
stop_switch
check "denpod stops cleanly" [ $? = 0 ]
# the latest signed checkpoint, as a device that verified it holds it (its log/checkpoint)
D log checkpoint >"$T/dev.cp" 2>/dev/null || no "log checkpoint"
DEV_N=$(sed -n 2p "$T/dev.cp")
# a backup with one byte changed (tls.crt: not even a key) is refused before anything changes
cp -a "$T/bk" "$T/bkt"
printf 'X' | dd of="$T/bkt/tls.crt" bs=1 seek=40 conv=notrunc status=none
db0=$(sha256sum <"$T/sw/denpod.db")
D restore "$T/bkt" --operator ito >"$T/tamper.out" 2>&1
check "restore of a changed backup: exit 1" [ $? = 1 ]
check "... the manifest check names the file" grep -q "tls.crt is not the file the backup's manifest names" "$T/tamper.out"
check "... and nothing changed in the data directory" [ "$(sha256sum <"$T/sw/denpod.db")" = "$db0" ]
check "... nothing was moved aside" [ -z "$(ls -d "$T"/sw/before-restore-* 2>/dev/null)" ]
check "... no staging left behind" [ -z "$(ls -d "$T"/sw/restore.tmp-* 2>/dev/null)" ]
# a manifest cut short
cp -a "$T/bk" "$T/bkc"
head -n 8 "$T/bk/BACKUP" >"$T/bkc/BACKUP"
D restore "$T/bkc" --operator ito >"$T/cut.out" 2>&1
check "restore of a backup with a manifest cut short: exit 1" [ $? = 1 ]
check "... saying the manifest is not whole" grep -q "is not a whole manifest" "$T/cut.out"

D restore "$T/bk" --operator ito >"$T/restore.out" 2>&1
rrc=$?
cat "$T/restore.out" >&2
check "restore with the switch stopped: exit 0 (got $rrc)" [ "$rrc" = 0 ]
check "... it rolled the log back (signer.state was ahead)" grep -q "^log rolled back from size [0-9]* to checkpoint $BK_CP" "$T/restore.out"
aside=$(ls -d "$T"/sw/before-restore-* 2>/dev/null | head -n 1)
check "the old database is in before-restore-*/" [ -n "$aside" -a -s "$aside/denpod.db" ]
check "... which is 0700 (got $(mode "$aside"))" [ "$(mode "$aside")" = 700 ]
check "... and still holds every cable sent (sqlite3)" \
	[ "$(sqlite3 "$aside/denpod.db" "SELECT count(*) FROM cables")" = "$(wc -l <"$T/sent.ids")" ]
check "signer.state was kept" [ -s "$T/sw/signer.state" ]
check "the restored files are 0600" [ -z "$(find "$T/sw" -maxdepth 1 -type f ! -perm 0600)" ]
start_switch || no "the restored switch does not start"
D log show >"$T/log.out" 2>&1
check "the log shows LOG-ROLLBACK" grep -q "^Act: LOG-ROLLBACK" "$T/log.out"
check "... with a Detail devices parse (signed-size=... restored-size=$BK_CP)" \
	grep -Eq "^Detail: signed-size=[0-9]+ signed-root=[0-9a-f]{64} restored-size=$BK_CP: " "$T/log.out"
check "the log shows RESTORE" grep -q "^Act: RESTORE" "$T/log.out"
mv "$T/sent.ids" "$T/sent.before-restore"
check "a new cable after the restore is accepted" send 1
new_mrn=$(cut -d' ' -f2- "$T/sent.ids")
echo "new cable's MRN: $new_mrn (MRNs before the restore: $(head -n 1 "$T/mrns.before") .. $(tail -n 1 "$T/mrns.before"))" >&2
# the replaced database's counter is read (exact): the next MRN is the old database's next, not
# that moved on by every log entry lost (the fetches too), which wastes numbers toward the cap
old_next=$(sqlite3 "$aside/denpod.db" "SELECT next FROM mrn WHERE post = 'HQ'")
check "its MRN ($new_mrn) is the replaced database's next serial ($old_next), no jump" \
	[ "${new_mrn##* }" = "$(printf %06d "$old_next")" ]
check "... restore said the counters were raised to the replaced database's" grep -q "^MRNs: every post's MRN counter is at least the replaced database's" "$T/restore.out"
check "its MRN ($new_mrn) was not handed out before the restore" [ -n "$new_mrn" ] && check "$new_mrn: not among $(wc -l <"$T/mrns.before") MRNs handed out before" \
	not grep -qxF "$new_mrn" "$T/mrns.before"
for id in $(awk '{print $1}' "$T/before.ids"); do
	code=$(cu b -o "$T/fetch1.$id" -w '%{http_code}' "$URL/v1/cables/$id")
	if [ "$code" = 200 ] && cmp -s "$T/fetch0.$id" "$T/fetch1.$id"; then echo same; else echo "$id $code"; fi
done | sort | uniq -c >"$T/f1.st"
check "the recipient still fetches the 20 cables from before the backup, the same bytes" \
	grep -q '^ *20 same$' "$T/f1.st"
stop_switch
check "the restored switch, after new traffic, passes denpod check" D check >/dev/null 2>&1

# ---- 5. no signer.state: the loss must be given ----
D restore "$T/bk" --operator ito --data "$T/fresh" >"$T/fresh.out" 2>&1
check "restore into a new directory without --lost: exit 1" [ $? = 1 ]
check "... saying MRNs would be handed out again and to give --signed-checkpoint or --lost" grep -q "Give --signed-checkpoint FILE.*give --lost N instead" "$T/fresh.out"
check "... and nothing installed" [ ! -e "$T/fresh/denpod.db" ]
D restore "$T/bk" --operator ito --lost 40 --data "$T/fresh" >"$T/fresh2.out" 2>&1
check "with --lost 40: exit 0" [ $? = 0 ]
check "... the MRN counters moved 40 on" grep -q "moved 40 on" "$T/fresh2.out"
check "... and the new directory passes denpod check" D check --data "$T/fresh" >/dev/null 2>&1
# a device's signed checkpoint stands in for signer.state: the LOG-ROLLBACK devices need is written
D log checkpoint --data "$T/bk" >"$T/bk.cp" 2>/dev/null || no "log checkpoint of the backup"
D restore "$T/bk" --operator ito --signed-checkpoint "$T/bk.cp" --data "$T/fresh3" >"$T/fresh3a.out" 2>&1
check "restore with --signed-checkpoint not above the backup's: exit 1" [ $? = 1 ]
check "... saying it is not above the restored checkpoint" grep -q "is not above the restored log's checkpoint" "$T/fresh3a.out"
check "... and nothing installed" [ ! -e "$T/fresh3/denpod.db" ]
# another root, not what log.key signed: line 3's first character changed (A->B, anything else->A;
# the old sed left a root that began with "A" unchanged, 1 run in 64)
awk 'NR == 3 { c = substr($0, 1, 1); $0 = (c == "A" ? "B" : "A") substr($0, 2) } 1' "$T/dev.cp" >"$T/forged.cp"
check "the forged checkpoint differs from the device's in its root line" [ "$(sed -n 3p "$T/forged.cp")" != "$(sed -n 3p "$T/dev.cp")" ]
D restore "$T/bk" --operator ito --signed-checkpoint "$T/forged.cp" --data "$T/fresh3" >"$T/fresh3b.out" 2>&1
check "restore with a checkpoint log.key did not sign: exit 1" [ $? = 1 ]
check "... saying it is not a checkpoint of this log" grep -q "is not a checkpoint of this log" "$T/fresh3b.out"
check "... and nothing installed" [ ! -e "$T/fresh3/denpod.db" ]
D restore "$T/bk" --operator ito --signed-checkpoint "$T/dev.cp" --data "$T/fresh3" >"$T/fresh3.out" 2>&1
check "restore into a new directory with a device's --signed-checkpoint (size $DEV_N): exit 0" [ $? = 0 ]
check "... it rolled the log back from the device's size" grep -q "^log rolled back from size $DEV_N to checkpoint $BK_CP" "$T/fresh3.out"
D log show --data "$T/fresh3" >"$T/log3.out" 2>&1
check "... the log shows LOG-ROLLBACK with signed-size=$DEV_N (what denpo log recover needs)" \
	grep -Eq "^Detail: signed-size=$DEV_N signed-root=[0-9a-f]{64} restored-size=$BK_CP: " "$T/log3.out"
check "... signer.state was written" [ -s "$T/fresh3/signer.state" ]
check "... and the new directory passes denpod check" D check --data "$T/fresh3" >/dev/null 2>&1
D log rollback --operator ito --signed-checkpoint "$T/bk.cp" --data "$T/fresh3" >"$T/fresh4.out" 2>&1
check "log rollback with a --signed-checkpoint not above the database's: exit 1" [ $? = 1 ]
# signer.state and the device's checkpoint at the same size with different roots: a fork, refused
cp "$T/fresh3/signer.state" "$T/state3"
sed -e "s/^size .*/size $DEV_N/" -e "s/^root .*/root $(printf '%064d' 7)/" "$T/state3" >"$T/fresh3/signer.state"
D log rollback --operator ito --signed-checkpoint "$T/dev.cp" --data "$T/fresh3" >"$T/fork3.out" 2>&1
check "log rollback with signer.state and --signed-checkpoint at one size, two roots: exit 1" [ $? = 1 ]
check "... saying the log was forked" grep -q "different roots: the log was forked" "$T/fork3.out"
cp "$T/state3" "$T/fresh3/signer.state"
# a counter pushed near the cap by the move is warned about, naming the post
sqlite3 "$T/fresh3/denpod.db" "UPDATE mrn SET next = 100000000000050 WHERE post = 'HQ'"
D log rollback --operator ito --signed-checkpoint "$T/dev.cp" --data "$T/fresh3" >"$T/warn3.out" 2>&1
check "log rollback --signed-checkpoint on the restored directory: exit 0" [ $? = 0 ]
check "... warning that HQ's MRN counter is above a tenth of the limit" \
	grep -q "warning: these MRN counters are above 100000000000000, a tenth of the 999999999999999 serials of a post's year: HQ " "$T/warn3.out"
# ---- 6. log rollback by hand: the MRN counters move on too ----
sqlite3 "$T/sw/denpod.db" ".backup '$T/manual.db'"
start_switch || no "restart for the manual recipe"
: >"$T/sent.ids"
check "5 cables after the hand-made copy" send 5
cut -d' ' -f2- "$T/sent.ids" | sort >"$T/mrns.manual"
D log rollback --operator ito >"$T/rbbusy.out" 2>&1
check "log rollback while the switch runs: exit 1" [ $? = 1 ]
check "... saying to stop the switch" grep -q "stop the switch" "$T/rbbusy.out"
stop_switch
rm -f "$T/sw/denpod.db-wal" "$T/sw/denpod.db-shm"
cp "$T/manual.db" "$T/sw/denpod.db"
D log rollback --operator ito >"$T/rollback.out" 2>&1
check "log rollback of the hand-restored database: exit 0" [ $? = 0 ]
start_switch || no "the rolled-back switch does not start"
: >"$T/sent.ids"
check "a new cable after the rollback is accepted" send 1
m=$(cut -d' ' -f2- "$T/sent.ids")
echo "after log rollback: new MRN $m; the 5 lost: $(paste -sd, "$T/mrns.manual")" >&2
check "its MRN ($m) is not one of the 5 handed out after the copy" [ -n "$m" ] &&
	check "$m: not among the lost cables' MRNs" not grep -qxF "$m" "$T/mrns.manual"
stop_switch
t_done it_backup
