#!/usr/bin/env bash
# it_damage.sh - damage to the switch's store is seen, refused and reported
# (issue 11, item 3; docs/operations.md, "Damage and recovery").
#
# A switch is populated (cables sent, fetched and acknowledged) and stopped.
# Then:
#   1. The issue's experiment: 20 copies of its database, each with three
#      bytes flipped in random pages of random b-trees (tables and indexes
#      alike; seeded, so reproducible: DAMAGE_SEED).  For each copy, either
#      `denpod run` refuses to start saying what is wrong and pointing to
#      `denpod check`, or it starts, and then no byte of a damaged cable is
#      served (each fetch answers the clean bytes or a 500 with an alert),
#      and after it signed a new checkpoint on top, `denpod log verify`
#      still passes.  `denpod check` finds the damage of every refused
#      copy and every cable whose fetch was refused.
#   2. One byte flipped inside a stored cable's bytes (in the file): the
#      start cannot see it; the fetch is refused (500, nothing recorded:
#      no delivery receipt, no log entry), an alert goes to the alerts
#      file and the metric; the scrub finds it on its own; `denpod check`
#      lists it; restored from a backup taken with the switch running
#      (sqlite3 .backup), everything is whole again.
#   2b. An index that lost rows (quick_check passes): the scrub's
#      integrity_check finds it, one alert; `denpod check` too.
#   3. A page SQLite's quick_check rejects: the start refuses, with an alert.
#   4. The mark: an old log entry damaged below the last size verified in
#      full is not walked by the start (it starts fast), but the scrub finds
#      it and lowers the mark, so the next start walks everything and
#      refuses; a damaged mark does the same; the entry restored from a
#      backup (its leaf hash proves it) and all is whole.
#   5. The scrub keeps to scrub_rate and resumes where it was after a restart;
#      bad scrub_ values in denpod.conf are refused, naming the key.
# DAMAGE_SEED / DAMAGE_COPIES change the experiment; DAMAGE_KEEP=1 keeps the files.
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
DAMAGE="$ROOT/tests/damage.py"
need_programs it_damage "$DENPOD" "$TS"
pg_only_skip it_damage "it damages denpod.db's pages, WAL and indexes and checks SQLite's quick_check, REINDEX and .backup of the file"
need_tools it_damage sqlite3 python3 jq curl
t_workdir
# DAMAGE_KEEP=1: keep the work directory (the copies) to look at afterwards
[ -n "${DAMAGE_KEEP:-}" ] && t_cleanup() { [ -n "$PID" ] && kill "$PID"; wait; echo "kept $T" >&2; }
SEED=${DAMAGE_SEED:-11}
NCOPIES=${DAMAGE_COPIES:-20}
URL="https://127.0.0.1:$PORT"
MPORT=$(free_port)
q() { sqlite3 -batch -noheader "$1" "PRAGMA busy_timeout=5000; $2" | grep -v '^5000$'; }
alerts() { cat "$1/alerts.jsonl" 2>/dev/null; }
# snap: the switch's alerts file as a SIEM's reader sees it, whole lines only (one write(2) per
# alert, but a reader racing it may see part of a line that crosses a page) into $T/alerts.snap
snap() { perl -ne 'print if /\n\z/' "$T/sw/alerts.jsonl" >"$T/alerts.snap" 2>/dev/null; }
# run_copy DIR: starts denpod on DIR; 0 once it listens ($PID set), 1 if it exited (status in $RC)
run_copy() {
	: >"$T/copy.log"
	"$DENPOD" run --data "$1" >"$T/copy.log" 2>&1 &
	PID=$!
	for _ in $(seq 150); do
		grep -q listening "$T/copy.log" && return 0
		if ! kill -0 "$PID" 2>/dev/null; then
			wait "$PID"
			RC=$?
			PID=
			return 1
		fi
		sleep 0.1
	done
	RC=timeout
	return 1
}
# refuse DIR LOG: denpod run on DIR, which must exit by itself; returns its status
refuse() {
	local p rc
	"$DENPOD" run --data "$1" >"$2" 2>&1 &
	p=$!
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill "$p" 2>/dev/null
	wait "$p"
	rc=$?
	return $rc
}
# fetch_all DEVICE OUTDIR: every cable of $T/ids, each to OUTDIR/ID; "ID STATUS" lines on stdout
fetch_all() {
	mkdir -p "$2"
	awk -v u="$URL" -v d="$2" '{ print "url = \"" u "/v1/cables/" $1 "\""; print "output = \"" d "/" $1 "\"" }' \
		"$T/ids" >"$T/curl.cfg"
	cu "$1" -K "$T/curl.cfg" -w '%{http_code}\n' | paste -d' ' "$T/ids" -
}

# ---- a switch with traffic ----
switch_ab
# No scrub while the experiment's database is made: a scrub pass that ends after the traffic
# raises the verification mark to the top, and damage below the mark is by design the scrub's to
# find, not the start's (section 4); with it off, the mark stays where the first start put it and
# the experiment judges the start on the whole log, whatever the timing.
printf 'metrics_listen=127.0.0.1:%s\nscrub_period=0\n' "$MPORT" >>"$T/sw/denpod.conf"
start_switch || no "denpod did not start"
"$TS" send "$T/a" "$URL" "$PIN" TOKYO CONFIDENTIAL ROUTINE --size 3000 --count 150 >"$T/sent" 2>&1 ||
	no "send 150 cables"
sed -n 's/^201 //p' "$T/sent" | jq -r .cable_id >"$T/ids"
check "150 cables accepted" [ "$(wc -l <"$T/ids")" = 150 ]
# the recipient fetches two thirds and acknowledges one third: receipts and their entries
head -n 80 "$T/ids" >"$T/ids.fetch"
for id in $(cat "$T/ids.fetch"); do echo "url = \"$URL/v1/cables/$id\""; echo "output = \"/dev/null\""; done >"$T/c.cfg"
cu b -K "$T/c.cfg" -w '%{http_code}\n' | sort | uniq -c >"$T/f.st"
check "the recipient fetches 80 (200)" grep -q '^ *80 200$' "$T/f.st"
for id in $(head -n 40 "$T/ids"); do echo "url = \"$URL/v1/cables/$id/ack\""; echo "request = POST"; echo "data = \"\""; echo "output = \"/dev/null\""; done >"$T/a.cfg"
cu b -K "$T/a.cfg" -w '%{http_code}\n' | sort | uniq -c >"$T/a.st"
check "... and acknowledges 40 (200)" grep -q '^ *40 200$' "$T/a.st"
stop_switch
check "denpod stops cleanly" [ $? = 0 ]
check "at rest: denpod check finds no damage (exit 0)" D check >"$T/check0.out" 2>&1
check "... and says so" grep -q '^check: ok: no damage found' "$T/check0.out"
check "at rest: the database file has no WAL left" [ ! -s "$T/sw/denpod.db-wal" ]
CLEAN="$T/clean.db"
cp "$T/sw/denpod.db" "$CLEAN"
mkdir "$T/cleanbytes"
python3 "$DAMAGE" bodies "$T/sw/denpod.db" "$T/cleanbytes" || no "damage.py bodies"
check "the cable bodies are in segments beside the database, not in its rows" \
	[ "$(q "$CLEAN" "SELECT count(*) FROM cables WHERE seg IS NULL OR length(data)>0;")" = 0 -a -s "$T/sw/cables/SEG000001" ]
(cd "$T/cleanbytes" && sha256sum -- * | sort -k2) >"$T/clean.sums"

# ---- 1. twenty copies, three bytes flipped each ----
python3 "$DAMAGE" copies "$CLEAN" "$T/flipped" "$SEED" "$NCOPIES" >"$T/where" || no "damage.py copies"
refused=0 started=0 served_bad=0 signed_bad=0 clean_runs=0
: >"$T/experiment.txt"
for i in $(seq "$NCOPIES"); do
	C="$T/copy$i"
	rm -rf "$C"
	cp -a "$T/sw" "$C"
	rm -f "$C/alerts.jsonl"
	mv "$T/flipped$i" "$C/denpod.db"
	where=$(sed -n "${i}p" "$T/where")
	D check --data "$C" >"$T/check.out" 2>&1
	crc=$?
	if ! run_copy "$C"; then
		refused=$((refused + 1))
		why=$(grep -m1 -E 'not starting|does not verify|refusing' "$T/copy.log")
		echo "copy $i [$where]: REFUSED to start: $why" >>"$T/experiment.txt"
		check "copy $i: refused with exit 1 (got $RC)" [ "$RC" = 1 ]
		check "copy $i: the refusal points to denpod check" grep -q 'denpod check' "$T/copy.log"
		check "copy $i: denpod check finds the damage too (exit $crc)" [ "$crc" = 1 ]
		continue
	fi
	started=$((started + 1))
	fetch_all b "$T/got$i" >"$T/st$i"
	# a new cable: the switch signs a checkpoint on top of what it has
	"$TS" send "$T/a" "$URL" "$PIN" TOKYO CONFIDENTIAL ROUTINE --size 100 >/dev/null 2>&1
	stop_switch >/dev/null 2>&1
	bad=$(awk '$2 != 200' "$T/st$i")
	nbad=$(awk '$2 != 200' "$T/st$i" | wc -l)
	# every 200 answer carries the clean bytes
	(cd "$T/got$i" && awk '$2 == 200 {print $1}' "$T/st$i" | xargs -r sha256sum -- | sort -k2) >"$T/got.sums"
	if ! join -1 2 -2 2 "$T/got.sums" "$T/clean.sums" | awk '$2 != $3 {exit 1}'; then
		served_bad=$((served_bad + 1))
		no "copy $i: a fetch answered 200 with bytes that are not the cable's"
	fi
	for id in $(awk '$2 == 500 {print $1}' "$T/st$i"); do
		check "copy $i: cable $id refused on fetch: an alert names it" \
			grep -q "\"cable_id\":\"$id\"" "$C/alerts.jsonl"
		check "copy $i: cable $id refused on fetch: denpod check lists it" \
			grep -q "^check: DAMAGE .*${id:0:16}" "$T/check.out"
	done
	others=$(awk '$2 != 200 && $2 != 500' "$T/st$i" | wc -l)
	if ! D log verify --data "$C" >"$T/verify.out" 2>&1; then
		signed_bad=$((signed_bad + 1))
		no "copy $i: started and signed on top of a log that log verify rejects: $(head -n 2 "$T/verify.out" | paste -sd' ')"
	fi
	if [ "$crc" = 0 ] && [ "$nbad" = 0 ]; then
		clean_runs=$((clean_runs + 1))
		echo "copy $i [$where]: started; nothing damaged that anything reads (check: ok)" >>"$T/experiment.txt"
	else
		echo "copy $i [$where]: started; $((nbad - others)) cable fetches refused (500, alerted), $others other refusals; check: $(grep -c '^check: DAMAGE' "$T/check.out") damaged" >>"$T/experiment.txt"
	fi
	[ "$others" -gt 0 ] && awk '$2 != 200 && $2 != 500 {print "  refused: " $0}' "$T/st$i" | head -n 2 >>"$T/experiment.txt"
	grep '^check: DAMAGE' "$T/check.out" | head -n 3 | sed 's/^/  /' >>"$T/experiment.txt"
done
cat "$T/experiment.txt" >&2
echo "experiment (seed $SEED): $refused of $NCOPIES copies refused to start, $started started ($clean_runs with no damage anything reads); $served_bad served a damaged byte; $signed_bad signed on top of a log that does not verify" >&2
check "no copy served a damaged cable byte" [ "$served_bad" = 0 ]
check "no copy signed on top of a log that log verify rejects" [ "$signed_bad" = 0 ]
check "the experiment exercised both: refusals and starts" [ "$refused" -gt 0 -a "$started" -gt 0 ]

# ---- 2. one byte of one cable, on disk ----
# a backup taken while the switch runs, before the damage
sed -i '/^scrub_period=0$/d' "$T/sw/denpod.conf"
printf 'scrub_period=2\nscrub_rate=67108864\n' >>"$T/sw/denpod.conf"
start_switch || no "restart"
# (denpod backup: the database file alone would point into segments that change after it)
check "a backup with the switch running (denpod backup)" D backup "$T/bk" >/dev/null
cp "$T/bk/denpod.db" "$T/backup.db"
stop_switch
ID=$(sed -n 100p "$T/ids")
rm -f "$T/sw/alerts.jsonl"
off=$(python3 "$DAMAGE" cable "$T/sw/denpod.db" "$ID") || no "flip one cable byte"
echo "flipped one bit of cable $ID at file offset $off" >&2
check "SQLite's integrity_check does not see it" [ "$(q "$T/sw/denpod.db" 'PRAGMA integrity_check;')" = ok ]
check "denpod log verify does not see it (the log is whole)" D log verify >/dev/null
ENTRIES=$(q "$T/sw/denpod.db" "SELECT count(*) FROM log_entries;")
start_switch || no "the start cannot see a cable's bytes: it starts"
code=$(cu b -o "$T/body" -w '%{http_code}' "$URL/v1/cables/$ID")
check "the fetch is refused: 500 (got $code)" [ "$code" = 500 ]
check "... saying the switch's copy is damaged and the security office alerted" \
	grep -q "the switch's copy of this cable is damaged; the security office has been alerted" "$T/body"
check "... no byte of it sent" [ "$(jq -r .error "$T/body")" = store ]
snap
check "an alert: STORE-DAMAGE, found by the fetch, naming the cable and the device" \
	bash -c "jq -c 'select(.rule.name==\"STORE-DAMAGE\" and .denpo.found_by==\"fetch\" and .denpo.part==\"cable\" and .denpo.cable_id==\"$ID\" and (.device.id|length)==64)' '$T/alerts.snap' | grep -q ."
check "... in ECS: event.kind alert, category database, type error" \
	bash -c "jq -e 'select(.denpo.found_by==\"fetch\") | .event.kind==\"alert\" and .event.category==[\"database\"] and .event.type==[\"error\"]' '$T/alerts.snap' >/dev/null"
check "the metric counts it" bash -c "curl -s http://127.0.0.1:$MPORT/metrics | grep -q '^denpod_store_damage_total{kind=\"cable\",reason=\"fetch\"} 1$'"
for _ in $(seq 100); do snap; grep -q '"found_by":"scrub"' "$T/alerts.snap" && break; sleep 0.1; done
check "the scrub finds it by itself" \
	bash -c "jq -c 'select(.denpo.found_by==\"scrub\" and .denpo.cable_id==\"$ID\")' '$T/alerts.snap' | grep -q ."
check "the scrub alerts on nothing else" \
	[ "$(jq -c 'select(.denpo.found_by=="scrub")' "$T/alerts.snap" | grep -vc "$ID")" = 0 ]
code2=$(cu b -o /dev/null -w '%{http_code}' "$URL/v1/cables/$(sed -n 101p "$T/ids")")
check "another cable is served (200, got $code2)" [ "$code2" = 200 ]
D check >"$T/check_live.out" 2>&1
rc=$?
check "denpod check beside the running switch (one read snapshot) finds it: exit $rc" \
	[ "$rc" = 1 -a "$(grep -c "^check: DAMAGE .*cable ${ID:0:16}" "$T/check_live.out")" = 1 ]
stop_switch
check "the refused fetch recorded nothing: no delivery receipt" \
	[ "$(q "$T/sw/denpod.db" "SELECT count(*) FROM deliveries WHERE seq=(SELECT seq FROM cables WHERE cable_id=x'$ID') AND delivered IS NULL;")" = 1 ]
check "... and no log entry names it but its acceptance" \
	[ "$(q "$T/sw/denpod.db" "SELECT count(*) FROM log_entries WHERE idx>=$ENTRIES AND instr(CAST(data AS TEXT), '$ID');")" = 0 ]
D check >"$T/check1.out" 2>&1
rc=$?
check "denpod check: exit 1" [ "$rc" = 1 ]
check "... lists the cable, its MRN and what does not match" \
	grep -q "^check: DAMAGE STORE-DAMAGE (check): cable ${ID:0:16} (.*): its [0-9]* stored bytes hash to .*, not to the Envelope-Hash" "$T/check1.out"
check "... and nothing else" [ "$(grep -c '^check: DAMAGE' "$T/check1.out")" = 1 ]
grep '^check:' "$T/check1.out" >&2
# the repair: a good copy of the submission (the sender's sent/ID.cable, a recipient's
# cache/ID.cable, or, here, the backup's row), checked against the log entry
q "$T/backup.db" "SELECT writefile('$T/good.cable', data) FROM cables WHERE cable_id=x'$ID';" >/dev/null
q "$T/backup.db" "SELECT writefile('$T/other.cable', data) FROM cables WHERE cable_id=x'$(sed -n 101p "$T/ids")';" >/dev/null
D cable restore "$ID" "$T/other.cable" --operator "ops a" >"$T/restore.out" 2>&1
rc=$?
check "cable restore from another cable's bytes: refused (exit $rc)" [ "$rc" = 1 ]
check "... saying the file is not this cable" grep -q "is not this cable" "$T/restore.out"
check "cable restore from a good copy: exit 0" D cable restore "$ID" "$T/good.cable" --operator "ops a"
check "... logged (admin CABLE-RESTORE)" bash -c "'$DENPOD' log show --data '$T/sw' | grep -q 'Act: CABLE-RESTORE'"
check "... and denpod check is clean again" D check >/dev/null 2>&1
check "a second restore finds nothing to do" bash -c "'$DENPOD' cable restore '$ID' '$T/good.cable' --data '$T/sw' | grep -q 'intact; nothing to restore'"
start_switch || no "start after the repair"
check "after the repair the cable is served (200), its very bytes" \
	[ "$(cu b -o "$T/fetched" -w '%{http_code}' "$URL/v1/cables/$ID")" = 200 -a "$(sha256sum <"$T/fetched")" = "$(sha256sum <"$T/good.cable")" ]
stop_switch

# ---- 2b. an index that lost rows: quick_check cannot see it, the scrub's integrity_check does ----
cp "$T/sw/denpod.db" "$T/good.db"
python3 "$DAMAGE" index "$T/sw/denpod.db" queue >/dev/null || no "damage the queue index"
check "quick_check passes the damaged index" [ "$(q "$T/sw/denpod.db" 'PRAGMA quick_check;')" = ok ]
rm -f "$T/sw/alerts.jsonl"
start_switch || no "start with a damaged index"
for _ in $(seq 100); do snap; grep -q '"part":"database"' "$T/alerts.snap" && break; sleep 0.1; done
check "the scrub's integrity_check finds rows missing from the queue index: one alert" \
	[ "$(jq -c 'select(.denpo.found_by=="scrub" and .denpo.part=="database") | .event.reason' "$T/alerts.snap" | grep -c 'table deliveries: .* missing from index queue')" = 1 ]
stop_switch
check "denpod check finds it" bash -c "'$DENPOD' check --data '$T/sw' | grep -q '^check: DAMAGE .*missing from index queue'"
check "REINDEX rebuilds it from its table" sqlite3 "$T/sw/denpod.db" "REINDEX"
check "... and denpod check is clean again" D check >/dev/null 2>&1
cmp -s "$T/good.db" "$T/sw/denpod.db" || cp "$T/good.db" "$T/sw/denpod.db"

# ---- 3. a page SQLite's quick_check rejects; the backup taken while running restores it ----
QROOT=$(q "$T/sw/denpod.db" "SELECT rootpage FROM sqlite_master WHERE name='queue';")
PSZ=$(q "$T/sw/denpod.db" "PRAGMA page_size;")
printf '\x42' | dd of="$T/sw/denpod.db" bs=1 seek=$(((QROOT - 1) * PSZ)) conv=notrunc 2>/dev/null
rm -f "$T/sw/alerts.jsonl"
refuse "$T/sw" "$T/refuse.log"
rc=$?
check "a page quick_check rejects: denpod run refuses (exit $rc)" [ "$rc" = 1 ]
check "... saying quick_check fails and what to do" \
	grep -q "fails SQLite's quick_check.*denpod check --data" "$T/refuse.log"
snap
check "... and alerting (found by the start)" \
	bash -c "jq -e 'select(.denpo.found_by==\"start\" and .denpo.part==\"database\")' '$T/alerts.snap' >/dev/null"
check "denpod check: exit 1" not D check >/dev/null 2>&1
# the backup, checked before it replaces anything, in a scratch copy of the data directory
rm -rf "$T/restore" && cp -a "$T/sw" "$T/restore" && cp "$T/backup.db" "$T/restore/denpod.db"
check "the backup checks (denpod check on a scratch copy)" D check --data "$T/restore" >/dev/null 2>&1
cp "$T/backup.db" "$T/sw/denpod.db"
# the backup is older than what the signer signed since: refused until an operator accepts it
refuse "$T/sw" "$T/refuse-old.log"
rc=$?
check "the restored backup is older than what was signed: denpod run refuses (exit $rc)" [ "$rc" = 1 ]
check "... saying so and what to do" grep -q "signer signed the log up to size .*denpod log rollback" "$T/refuse-old.log"
check "denpod log rollback accepts it (logged)" D log rollback --operator "ops a" >/dev/null
start_switch || no "start on the restored backup"
fetch_all b "$T/after" >"$T/after.st"
check "after the restore every cable is served" [ "$(awk '$2 != 200' "$T/after.st" | wc -l)" = 0 ]
stop_switch

# ---- 4. the mark ----
passes=$(grep -c 'scrub: pass done' "$T/run.log")
start_switch || no "restart"
# a complete scrub pass that found nothing raises the mark to the latest checkpoint
for _ in $(seq 100); do [ "$(grep -c 'scrub: pass done' "$T/run.log")" -gt "$passes" ] && break; sleep 0.1; done
stop_switch
MARK=$(q "$T/sw/denpod.db" "SELECT v FROM meta WHERE k='log_verified';")
LATEST=$(q "$T/sw/denpod.db" "SELECT max(size) FROM log_checkpoints;")
check "the mark is the latest checkpoint after a clean scrub pass (${MARK%% *} of $LATEST)" [ "${MARK%% *}" = "$LATEST" ]
python3 "$DAMAGE" entry "$T/sw/denpod.db" 5 >/dev/null || no "damage entry 5"
check "an old entry damaged: log verify sees it" not D log verify >/dev/null 2>&1
rm -f "$T/sw/alerts.jsonl"
start_switch || no "below the mark: the start does not walk it and starts"
check "... starting from the mark (no whole walk)" grep -q "entries $LATEST\.\.[0-9]* and [0-9]* checkpoints verified" "$T/run.log"
for _ in $(seq 100); do snap; grep -q '"found_by":"scrub"' "$T/alerts.snap" && break; sleep 0.1; done
check "the scrub finds the damaged entry (log-entry 5)" \
	bash -c "jq -e 'select(.denpo.found_by==\"scrub\" and .denpo.part==\"log-entry\" and .denpo.log_index==5)' '$T/alerts.snap' >/dev/null"
stop_switch
check "... and lowers the mark to 0" [ "$(q "$T/sw/denpod.db" "SELECT v FROM meta WHERE k='log_verified';" | cut -d' ' -f1)" = 0 ]
D check >"$T/check4.out" 2>&1
check "denpod check lists it" grep -q '^check: DAMAGE STORE-DAMAGE (check): log-entry 5: entry 5 does not hash to its leaf' "$T/check4.out"
refuse "$T/sw" "$T/refuse2.log"
rc=$?
check "so the next start walks the whole log and refuses (exit $rc)" [ "$rc" = 1 ]
check "... naming the entry" grep -q "entry 5 does not hash to its leaf" "$T/refuse2.log"
# a damaged mark claims the latest checkpoint: it names no checkpoint with its root, so
# the start walks everything and refuses all the same
q "$T/sw/denpod.db" "UPDATE meta SET v='$LATEST 0000000000000000000000000000000000000000000000000000000000000000' WHERE k='log_verified';"
refuse "$T/sw" "$T/refuse3.log"
rc=$?
check "a damaged mark: the start walks the whole log and refuses (exit $rc)" [ "$rc" = 1 ]
check "... saying the mark does not match" grep -q "verification mark .* does not match a stored checkpoint" "$T/refuse3.log"
check "... and which entry is damaged" grep -q "entry 5 does not hash to its leaf" "$T/refuse3.log"
# one entry restored: any backup holds it (entries never change), and its leaf hash proves it
q "$T/sw/denpod.db" "ATTACH '$T/backup.db' AS bk; UPDATE log_entries SET data=(SELECT data FROM bk.log_entries WHERE idx=5) WHERE idx=5;"
check "the entry restored from the backup: denpod check is clean" D check >/dev/null 2>&1
start_switch || no "start after the entry is restored"
stop_switch

# ---- 5. the scrub's pace, and where it got to across a restart ----
# at 16 KiB/s a step reads its minimum, 64 KiB (14 cables of 4.9 KB), then rests 4 s
cp "$T/sw/denpod.conf" "$T/conf.fast"
# a key is set once (a second line is refused): the scrub lines of section 2 replaced
sed -i '/^scrub_/d' "$T/sw/denpod.conf"
printf 'scrub_period=1\nscrub_rate=16384\n' >>"$T/sw/denpod.conf"
q "$T/sw/denpod.db" "DELETE FROM meta WHERE k IN ('scrub', 'scrub_last');"
start_switch || no "start with a slow scrub"
sleep 3
stop_switch
read -r phase1 seq1 <<<"$(q "$T/sw/denpod.db" "SELECT v FROM meta WHERE k='scrub';" | cut -d' ' -f2,3)"
check "at 16 KiB/s the scrub has read one step of cables in 3 s, not all 150 (phase $phase1, cable $seq1)" \
	[ "$phase1" = 0 -a "$seq1" -ge 1 -a "$seq1" -le 28 ]
start_switch || no "restart with a slow scrub"
sleep 1
stop_switch
read -r phase2 seq2 <<<"$(q "$T/sw/denpod.db" "SELECT v FROM meta WHERE k='scrub';" | cut -d' ' -f2,3)"
check "after a restart its first step goes on from there, not from the first cable ($seq1 -> $seq2)" \
	[ "$phase2" = 0 -a "$seq2" -gt "$seq1" ]
check "... and no pass is complete yet" [ -z "$(q "$T/sw/denpod.db" "SELECT v FROM meta WHERE k='scrub_last';")" ]
cp "$T/conf.fast" "$T/sw/denpod.conf"

# ---- the scrub's keys: a bad value is refused, saying which key and what it must be ----
sed '/^scrub_/d' "$T/sw/denpod.conf" >"$T/conf.good"
for kv in scrub_period=-1 scrub_period=1x scrub_period=99999999 scrub_rate=100 "scrub_rate=8 MiB"; do
	cp "$T/conf.good" "$T/sw/denpod.conf"
	echo "$kv" >>"$T/sw/denpod.conf"
	D check >"$T/conf.out" 2>&1
	rc=$?
	check "denpod.conf $kv: refused (exit $rc), naming the key" \
		[ "$rc" = 1 -a "$(grep -c "denpod.conf:[0-9]*: ${kv%%=*}: .*[0-9]\.\.[0-9]*)*$" "$T/conf.out")" = 1 ]
done
cp "$T/conf.good" "$T/sw/denpod.conf"
t_done it_damage
