#!/usr/bin/env bash
# it_migrate.sh - `denpod migrate --to postgresql://...` (issue 13 item 5,
# docs/operations.md "Moving to PostgreSQL"), through the real programs.
# [uses DENPO_TEST_PG]
#  (1) a SQLite switch with posts, officers, enrolled devices, cables sent
#      and read (one still unread), a rotated key epoch; every device holds
#      a checkpoint it verified;
#  (2) refusals, each changing nothing (denpod.conf, denpod.db, the target
#      database): the switch running; a URI that is no PostgreSQL one; an
#      unreachable server; a wrong password (never printed); a database
#      that is not empty; a damaged SQLite database (a log entry altered);
#      a newer denpod's database (schema 6);
#  (3) the move: every table's rows, the same log size and latest signed
#      checkpoint, then the move logged (admin MIGRATE); denpod.conf gets
#      store= (0600), denpod.db is untouched; the password is printed nowhere;
#  (4) the switch on PostgreSQL: every device's next command continues from
#      the checkpoint it witnessed (no fork, no evidence), the unread cable
#      and the one encrypted to the new epoch are read, a new cable gets the
#      post's next MRN, `denpod log verify` passes.
. "$(dirname "$0")/lib.sh"
need_programs it_migrate "$DENPOD" "$DENPO"
need_tools it_migrate psql sqlite3 sha256sum
unset DENPO_TEST_STORE # the switch starts on SQLite whatever the run's store
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="migrate test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
cksize() { sed -n 2p "$T/$1/log/checkpoint" 2>/dev/null; }
evidence() { ls "$T/$1"/log/fork-evidence-*.txt 2>/dev/null; }
# tables URI: how many tables the database holds
tables() { PGOPTIONS="-c client_min_messages=warning" psql -qAtX "$1" -c \
	"SELECT count(*) FROM information_schema.tables WHERE table_schema=current_schema()"; }
pgq() { psql -qAtX "$PG_URI" -c "$1"; }
sq() { sqlite3 "$T/sw/denpod.db" "$1"; }
state() { sha256sum "$T/sw/denpod.conf" "$T/sw/denpod.db" | awk '{print $1}' | paste -sd' ' -; }
all() { eval "$1"; }
# said FILE: what a send's stderr says of its recipients (who it is encrypted to, who not), one line
said() { grep -E "encrypting to|NOT receive|not yet in the transparency log" "$1" | paste -sd';' -; }
# signed Q: wait (<= 10 s) until the latest signed checkpoint covers every log entry (Q: sq or pgq)
signed() {
	for _ in $(seq 100); do
		[ "$($1 "SELECT max(size) FROM log_checkpoints")" = "$($1 "SELECT count(*) FROM log_entries")" ] && return 0
		sleep 0.1
	done
	return 1
}

pg_database "denpo_it_migrate_$$" || { no "a PostgreSQL database"; t_done it_migrate; exit 1; }
URI=$PG_URI
PASS=$(sed -nE 's#^[a-z]+://[^:/@]*:([^@]*)@.*#\1#p' <<<"$URI")

# ---- (1) a SQLite switch in use ----
{
	switch_init && D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add ono.r --post TOKYO --clearance SECRET &&
		D officer add kato.t --post TOKYO --clearance SECRET
} >"$T/init.out" 2>&1 || no "switch setup: $(tail -n 3 "$T/init.out")"
printf 'rule.MACHINE-SPEED.mode = report\nrule.ENUM-RANGE.mode = report\n' >"$T/sw/detect.conf"
enrol_devices sato.k:HQ ono.r:TOKYO kato.t:TOKYO
start_switch || { no "denpod did not start"; t_done it_migrate; exit 1; }
body "1. (C) BEFORE-MIGRATION-ONE."
M1=$(send sato.k --class CONFIDENTIAL --prec IMMEDIATE --to TOKYO --tags ADMN --subject one) ||
	no "send one: $(cat "$T/send.err")"
body "1. (C) BEFORE-MIGRATION-TWO."
M2=$(send sato.k --class CONFIDENTIAL --prec ROUTINE --to TOKYO --tags ADMN --subject two) ||
	no "send two: $(cat "$T/send.err")"
I1=$(id_of "$M1") I2=$(id_of "$M2")
dp ono.r read "$I1" >"$T/read1" 2>&1 || no "ono.r reads one: $(cat "$T/read1")"
dp ono.r ack "$I1" >/dev/null 2>&1
dp ono.r key rotate >/dev/null 2>&1 || no "ono.r key rotate"
body "1. (C) AFTER-ROTATION-THREE."
M3=$(send sato.k --class CONFIDENTIAL --prec PRIORITY --to TOKYO --tags ADMN --subject three) ||
	no "send three: $(cat "$T/send.err")"
cp "$T/send.err" "$T/send3.err"
# sent right after the rotation: the send waits for the new key to be logged (denpo/send.c resolve_logged)
check "send three is encrypted to ono.r's rotated key too ($(said "$T/send3.err"))" \
	grep -q "encrypting to 2 devices: kato.t@TOKYO, ono.r@TOKYO" "$T/send3.err"
I3=$(id_of "$M3")
check "three cables on SQLite ($M1, $M2, $M3)" [ -n "$I1" -a -n "$I2" -a -n "$I3" ]
signed sq || no "no checkpoint signed over the last entries on SQLite"
for h in sato.k ono.r kato.t; do dp "$h" inbox >/dev/null 2>&1 || no "$h inbox on SQLite"; done
declare -A CK
for h in sato.k ono.r kato.t; do CK[$h]=$(cksize "$h"); done
check "every device holds a witnessed checkpoint (${CK[*]})" all '[ -n "${CK[sato.k]}" ] && [ -n "${CK[kato.t]}" ]'

# ---- (2) refusals ----
BEFORE=$(state)
D migrate --to "$URI" >"$T/m.out" 2>"$T/m.err"
rc=$?
check "refused while denpod run uses the data directory (exit $rc)" [ "$rc" = 1 ]
check "  says to stop the switch" grep -q "denpod run is using .*stop the switch" "$T/m.err"
stop_switch || no "stop the switch"
D log checkpoint >"$T/ck.sqlite" || no "log checkpoint on SQLite"
SQLITE_ENTRIES=$(sq "SELECT count(*) FROM log_entries")
BEFORE=$(state)
refused() { # WHAT EXIT PATTERN ARGS...: refused with EXIT, the message, nothing changed
	local what=$1 want=$2 pat=$3 rc
	shift 3
	D migrate "$@" >"$T/m.out" 2>"$T/m.err"
	rc=$?
	check "$what: refused (exit $rc)" [ "$rc" = "$want" ]
	check "  $what: says why ($pat)" grep -q "$pat" "$T/m.err"
	check "  $what: denpod.conf and denpod.db unchanged" [ "$(state)" = "$BEFORE" ]
	check "  $what: the PostgreSQL database still empty" [ "$(tables "$URI")" = 0 ]
	if [ -n "$PASS" ]; then
		check "  $what: no password printed" not grep -qF "$PASS" "$T/m.out" "$T/m.err"
	fi
}
refused "no --to" 2 "give --to"
refused "a SQLite path" 2 "not a PostgreSQL URI" --to "$T/other.db"
refused "a mysql URI" 2 "not a PostgreSQL URI" --to "mysql://u@127.0.0.1/x"
refused "an unreachable server" 1 "cannot connect to" --to "postgresql://denpo@127.0.0.1:1/x?connect_timeout=2"
BAD=$(sed -E "s#^([a-z]+://[^:/@]*:)[^@]*@#\\1wrong-$$@#" <<<"$URI")
refused "a wrong password" 1 "cannot connect to" --to "$BAD"
check "  the wrong password is not printed" not grep -qF "wrong-$$" "$T/m.out" "$T/m.err"
refused "a URI with a space" 2 "store: not a PostgreSQL URI" --to "$URI x"
# a database in use
FULL="denpo_it_migrate_full_$$"
pg_database "$FULL" || no "a second database"
FULLURI=$PG_URI
PG_URI=$URI
psql -qX "$FULLURI" -c "CREATE TABLE keepme(x int); INSERT INTO keepme VALUES (42)" >/dev/null
D migrate --to "$FULLURI" >"$T/m.out" 2>"$T/m.err"
rc=$?
check "a database that is not empty: refused (exit $rc)" [ "$rc" = 1 ]
check "  names a table of it and what to do" grep -q "not empty (it has table keepme).*createdb" "$T/m.err"
check "  its table untouched, nothing added" all '[ "$(psql -qAtX "$FULLURI" -c "SELECT x FROM keepme")" = 42 ] && [ "$(tables "$FULLURI")" = 1 ]'
check "  denpod.conf and denpod.db unchanged" [ "$(state)" = "$BEFORE" ]
# a damaged SQLite database: a copy of the switch whose log entry 1 was altered
cp -a "$T/sw" "$T/dmg"
sqlite3 "$T/dmg/denpod.db" "UPDATE log_entries SET data = CAST('forged' AS BLOB) WHERE idx = 1"
DMG=$(sha256sum "$T/dmg/denpod.conf" | cut -d' ' -f1)
D migrate --data "$T/dmg" --to "$URI" >"$T/m.out" 2>"$T/m.err"
rc=$?
check "a damaged SQLite database: refused (exit $rc)" [ "$rc" = 1 ]
check "  says denpod check finds it damaged" grep -q "finds the switch damaged" "$T/m.err"
check "  its denpod.conf unchanged, the target empty" all '[ "$(sha256sum "$T/dmg/denpod.conf" | cut -d" " -f1)" = "$DMG" ] && [ "$(tables "$URI")" = 0 ]'
# a newer denpod's database (schema 6): refused by its number, nothing read from it
cp -a "$T/sw" "$T/newer"
sqlite3 "$T/newer/denpod.db" "UPDATE meta SET v='6' WHERE k='schema'"
D migrate --data "$T/newer" --to "$URI" >"$T/m.out" 2>"$T/m.err"
rc=$?
check "a newer denpod's database (schema 6): refused (exit $rc)" [ "$rc" = 1 ]
check "  says whose it is and what to run" grep -q "is from a newer denpod (schema 6); run that version" "$T/m.err"
check "  the target still empty" [ "$(tables "$URI")" = 0 ]
# an unreadable SQLite file
printf 'this is no database' >"$T/dmg/denpod.db"
rm -f "$T/dmg/denpod.db-wal" "$T/dmg/denpod.db-shm"
D migrate --data "$T/dmg" --to "$URI" >"$T/m.out" 2>"$T/m.err"
rc=$?
check "a SQLite file that is no database: refused (exit $rc)" [ "$rc" = 1 ]
check "  the target still empty" [ "$(tables "$URI")" = 0 ]

# ---- (3) the move ----
D migrate --to "$URI" --operator ito.h >"$T/m.out" 2>"$T/m.err"
rc=$?
check "denpod migrate (exit $rc)" [ "$rc" = 0 ] || cat "$T/m.err" >&2
check "  denpod.conf says store=" grep -qxF "store=$URI" "$T/sw/denpod.conf"
check "  denpod.conf is 0600" [ "$(stat -c %a "$T/sw/denpod.conf")" = 600 ]
check "  denpod.db untouched" [ "$(sha256sum "$T/sw/denpod.db" | cut -d' ' -f1)" = "$(cut -d' ' -f2 <<<"$BEFORE")" ]
check "  says where the fallback is" grep -q "denpod.db is kept as it was" "$T/m.out"
if [ -n "$PASS" ]; then
	check "  no password printed" not grep -qF "$PASS" "$T/m.out" "$T/m.err"
fi
check "  log verify ran on the copy" grep -q "log verify: ok: $SQLITE_ENTRIES entries" "$T/m.out"
for t in posts officers devices epoch_keys cables deliveries mrn log_tiles log_checkpoints log_cosigs; do
	check "  table $t: $(sq "SELECT count(*) FROM $t") rows in both" [ "$(pgq "SELECT count(*) FROM $t")" = "$(sq "SELECT count(*) FROM $t")" ]
done
check "  the schema row: 5 in both (the number the two schemas share)" \
	[ "$(pgq "SELECT v FROM meta WHERE k='schema'")" = 5 -a "$(sq "SELECT v FROM meta WHERE k='schema'")" = 5 ]
check "  every cable's bytes moved from SQLite's segments into its row (its size, its digest)" \
	[ "$(sq "SELECT count(*) FROM cables WHERE seg IS NULL")" = 0 -a \
	  "$(pgq "SELECT count(*) FROM cables WHERE seg IS NOT NULL OR off IS NOT NULL OR length(data) != size OR sha256(data) != digest")" = 0 ]
check "  log_entries: SQLite's $SQLITE_ENTRIES and the MIGRATE entry" [ "$(pgq "SELECT count(*) FROM log_entries")" = $((SQLITE_ENTRIES + 1)) ]
check "  every copied entry byte for byte" [ "$(pgq "SELECT encode(sha256(string_agg(data, ''::bytea ORDER BY idx)), 'hex') FROM log_entries WHERE idx < $SQLITE_ENTRIES")" = \
	"$(python3 -c 'import hashlib, sqlite3, sys
h = hashlib.sha256()
for (d,) in sqlite3.connect(sys.argv[1]).execute("SELECT data FROM log_entries ORDER BY idx"): h.update(d)
print(h.hexdigest())' "$T/sw/denpod.db")" ]
D log show --from "$SQLITE_ENTRIES" >"$T/show"
check "  the move is logged after the copied entries (admin MIGRATE by ito.h)" \
	all 'grep -q "^# entry $SQLITE_ENTRIES\$" "$T/show" && grep -q "^Act: MIGRATE" "$T/show" && grep -q "^Operator: ito.h" "$T/show"'
D log checkpoint >"$T/ck.pg" || no "log checkpoint on PostgreSQL"
check "the same latest signed checkpoint (note byte for byte)" cmp -s "$T/ck.sqlite" "$T/ck.pg"
D migrate --to "$URI" >"$T/m.out" 2>"$T/m.err"
check "a second migrate: refused, the switch is on PostgreSQL already" grep -q "on PostgreSQL already" "$T/m.err"

# ---- (4) the switch on PostgreSQL ----
start_switch || { no "denpod did not start on PostgreSQL"; t_done it_migrate; exit 1; }
for h in sato.k ono.r kato.t; do
	dp "$h" inbox >"$T/$h.inbox" 2>&1
	rc=$?
	check "$h: its next command on PostgreSQL succeeds (exit $rc)" [ "$rc" = 0 ]
	check "  $h: its checkpoint continues (${CK[$h]} -> $(cksize "$h"))" [ "$(cksize "$h")" -ge "${CK[$h]:-0}" ]
	check "  $h: no fork evidence" [ -z "$(evidence "$h")" ]
done
dp kato.t read "$I2" >"$T/read2" 2>&1 || no "kato.t reads two: $(cat "$T/read2")"
check "kato.t reads a cable accepted on SQLite" grep -q "BEFORE-MIGRATION-TWO" "$T/read2"
dp ono.r read "$I3" >"$T/read3" 2>&1 || no "ono.r reads three: $(cat "$T/read3")"
if grep -q "AFTER-ROTATION-THREE" "$T/read3"; then ok; else
	no "ono.r reads the cable to its rotated epoch (send three said: $(said "$T/send3.err"))"
fi
body "1. (C) ON-POSTGRESQL-FOUR."
M4=$(send sato.k --class CONFIDENTIAL --prec FLASH --to TOKYO --tags ADMN --subject four) ||
	no "send four on PostgreSQL: $(cat "$T/send.err")"
N3=${M3##* } N4=${M4##* }
check "the new cable gets the post's next MRN ($M3 -> $M4)" [ "$((10#${N4:-0}))" = "$((10#${N3:-0} + 1))" ]
I4=$(id_of "$M4")
check "  and the next sequence number" [ "$(pgq "SELECT max(seq) FROM cables")" = "$(($(sq "SELECT max(seq) FROM cables") + 1))" ]
dp ono.r read "$I4" >"$T/read4" 2>&1 || no "ono.r reads four: $(cat "$T/read4")"
check "ono.r reads the cable accepted on PostgreSQL" grep -q "ON-POSTGRESQL-FOUR" "$T/read4"
signed pgq || no "no checkpoint signed over the last entries on PostgreSQL"
for h in sato.k ono.r kato.t; do
	dp "$h" inbox >/dev/null 2>&1 || no "$h inbox after the new cable"
	check "$h: still no fork evidence, checkpoint grown past the migration" \
		all '[ -z "$(evidence "$h")" ] && [ "$(cksize "$h")" -gt "${CK[$h]:-0}" ]'
done
D log verify >"$T/verify" 2>&1
check "denpod log verify passes on PostgreSQL" grep -q "log verify: ok" "$T/verify"
stop_switch || no "stop on PostgreSQL"
t_done it_migrate
