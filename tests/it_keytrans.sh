#!/usr/bin/env bash
# it_keytrans.sh - key transparency through the real programs
# (docs/transparency.md §3): a sender encrypts only to keys whose
# device-enrolled and key-published entries it has inclusion proofs for,
# under a checkpoint it verified.  The switch's database is tampered with
# SQL as root (db_sql: a substituted key, an invented device, an edited log entry):
# each send is refused with exit 3 and nothing is stored; each tampering
# undone, the same send goes through (so every check can fail).
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_keytrans "$DENPOD" "$DENPO" "$TS"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="keytrans test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
q() { db_sql "$1"; }
printf '1. (S) Key transparency test.\n' >"$T/body"
# send -> MRN; exit status as denpo's (stderr in $T/send.err)
send() { dp sato.k send --body "$T/body" --class SECRET --prec ROUTINE --to WASHINGTON --tags ADMN \
	--subject "keytrans" 2>"$T/send.err"; }
ncables() { q "SELECT count(*) FROM cables"; }
cpsize() { sed -n 2p "$T/sato.k/log/checkpoint" 2>/dev/null || echo 0; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
# tamper: the switch stopped, a copy of its database kept, SQL run, the switch started
tamper() { stop_switch; db_keep || no "keep the store"; db_sql "$1" >/dev/null || no "tamper: $1"; start_switch || no "restart"; }
undo() { stop_switch; db_restore || no "restore the store"; start_switch || no "restart"; }
# refused DESCRIPTION: the last send failed with exit 3, saying why, and stored nothing
refused() {
	local rc=$1 n=$2
	check "$3: send refused, exit 3 (got $rc)" [ "$rc" = 3 ]
	check "... naming tanaka.h and the log" grep -q "tanaka.h at WASHINGTON that is not in the transparency log" "$T/send.err"
	check "... nothing stored" [ "$(ncables)" = "$n" ]
}

{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON && D post add BEIJING &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add mori.y --post BEIJING --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON mori.y:BEIJING
start_switch || no "denpod did not start"
TAN=$(dev_of tanaka.h) MORI=$(dev_of mori.y)
for o in sato.k tanaka.h mori.y; do dp "$o" inbox >/dev/null || no "first contact $o"; done
check "approval stored the device-enrolled entry's index" \
	[ "$(q "SELECT count(*) FROM devices WHERE hex(id)=upper('$TAN') AND log_idx IS NOT NULL")" = 1 ]
sleep 0.5 # the signer covers the first contacts' keys

# ---- (a) a normal send: proofs verified, the checkpoint advances ----
s0=$(cpsize)
M1=$(send) || no "send 1: $(cat "$T/send.err")"
check "(a) a send with every key in the log works" [ -n "$M1" ]
s1=$(cpsize)
check "(a) the sender's checkpoint advanced ($s0 -> $s1)" [ "$s1" -gt "$s0" ]
sleep 0.5
M2=$(send) || no "send 2: $(cat "$T/send.err")"
check "(a) a second send (consistency from the stored size) works" [ -n "$M2" ]
n0=$(ncables)

# ---- (b) tanaka's key records replaced by mori's (genuine, signed by mori's device) ----
tamper "UPDATE epoch_keys SET (age_recipient, record) = (SELECT e.age_recipient, e.record FROM epoch_keys e
	WHERE hex(e.device)=upper('$MORI') AND e.epoch=epoch_keys.epoch) WHERE hex(device)=upper('$TAN')"
send >/dev/null
refused $? "$n0" "(b) substituted key"
check "(b) ... the key entry is what disagrees" grep -q "key entry is for another device, epoch or key record" "$T/send.err"
undo
send >/dev/null || no "(b) undone: send fails: $(cat "$T/send.err")"
check "(b) undone: the same send works" [ "$(ncables)" = $((n0 + 1)) ]
n0=$(ncables)

# ---- (c) a device invented for tanaka.h: its rows made by another switch, no log entry here ----
{
	DENPOD_DATA="$T/sw2" D init --url "https://127.0.0.1:1" --listen "127.0.0.1:1" &&
		DENPOD_DATA="$T/sw2" D post add WASHINGTON &&
		DENPOD_DATA="$T/sw2" D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		"$TS" enrol "$T/fake" tanaka.h WASHINGTON &&
		DENPOD_DATA="$T/sw2" D approve "$T/fake/request" --out "$T/fake/answer"
} >"$T/fake.out" 2>&1 || no "make the fake device: $(cat "$T/fake.out")"
# the other switch's rows as INSERTs (its denpod.db, read with quote(): one text for both stores)
FAKE_SQL=$(sqlite3 -readonly "$T/sw2/denpod.db" "
	SELECT 'INSERT INTO devices(id,tls_key,officer,name,status,created,log_idx) VALUES ('
		|| quote(id) || ',' || quote(tls_key) || ',''tanaka.h'',' || quote(name) || ','
		|| quote(status) || ',' || quote(created) || ',NULL);' FROM devices;
	SELECT 'INSERT INTO epoch_keys(device,epoch,not_before,not_after,age_recipient,record,published,retired,log_idx) VALUES ('
		|| quote(device) || ',' || quote(epoch) || ',' || quote(not_before) || ',' || quote(not_after) || ','
		|| quote(age_recipient) || ',' || quote(record) || ',' || quote(published) || ',' || quote(retired)
		|| ',NULL);' FROM epoch_keys") || no "read the fake device's rows"
tamper "$FAKE_SQL"
check "(c) the fake device is in the directory" [ "$(q "SELECT count(*) FROM devices WHERE officer='tanaka.h'")" = 2 ]
send >/dev/null
rc=$?
check "(c) invented device (no log entry): send refused, exit 3 (got $rc)" [ "$rc" = 3 ]
check "... saying the switch sent no entry" grep -q "that is not in the transparency log (the switch sent no enrolment entry)" "$T/send.err"
check "... nothing stored" [ "$(ncables)" = "$n0" ]
undo
# the same, the switch lying about its log indices: tanaka's real entries served for it
tamper "$FAKE_SQL
	UPDATE devices SET log_idx=(SELECT log_idx FROM devices WHERE hex(id)=upper('$TAN')) WHERE log_idx IS NULL;
	UPDATE epoch_keys SET log_idx=(SELECT k.log_idx FROM epoch_keys k WHERE hex(k.device)=upper('$TAN')
		AND k.epoch=epoch_keys.epoch) WHERE log_idx IS NULL;"
send >/dev/null
rc=$?
check "(c2) invented device with another's entries: send refused, exit 3 (got $rc)" [ "$rc" = 3 ]
check "... its enrolment entry is another device's" grep -q "enrolment entry is for another device" "$T/send.err"
check "... nothing stored" [ "$(ncables)" = "$n0" ]
undo
send >/dev/null || no "(c) undone: send fails: $(cat "$T/send.err")"
check "(c) undone: the same send works" [ "$(ncables)" = $((n0 + 1)) ]
n0=$(ncables)

# ---- (d) tanaka's key-published entry edited in log_entries, and its record to match ----
# Done while the switch runs: at start its signer checks the newest entries (up to a tile,
# here all of them) against the stored leaf hashes and would refuse to run (also a stop).
# The switch serves the edited entry with a proof for the original leaf: the sender's
# inclusion check fails (the entry decodes and matches the key it is shown).
KIDX=$(q "SELECT k.log_idx FROM epoch_keys k WHERE hex(k.device)=upper('$TAN') AND k.epoch=
	(SELECT max(epoch) FROM epoch_keys WHERE hex(device)=upper('$TAN') AND not_before<=strftime('%s','now'))")
# edit_entry tamper|undo: entry KIDX's Record := mori's record of the same epoch (the
# entry's bytes edited in hex, one text for both stores), or the kept bytes back
edit_entry() {
	local e ep ar rec
	if [ "$1" = undo ]; then
		db_sql "UPDATE log_entries SET data=X'$(cat "$T/kt.data")' WHERE idx=$KIDX;
			UPDATE epoch_keys SET age_recipient='$(cat "$T/kt.rcpt")', record=X'$(cat "$T/kt.record")' WHERE log_idx=$KIDX"
		return
	fi
	e=$(db_sql "SELECT hex(data) FROM log_entries WHERE idx=$KIDX") &&
		ep=$(db_sql "SELECT epoch FROM epoch_keys WHERE log_idx=$KIDX") &&
		db_sql "SELECT age_recipient FROM epoch_keys WHERE log_idx=$KIDX" >"$T/kt.rcpt" &&
		db_sql "SELECT hex(record) FROM epoch_keys WHERE log_idx=$KIDX" >"$T/kt.record" &&
		ar=$(db_sql "SELECT age_recipient FROM epoch_keys WHERE hex(device)=upper('$MORI') AND epoch=$ep") &&
		rec=$(db_sql "SELECT hex(record) FROM epoch_keys WHERE hex(device)=upper('$MORI') AND epoch=$ep") &&
		[ -n "$e" ] && [ -n "$rec" ] || return 1
	printf '%s' "$e" >"$T/kt.data"
	e=$(python3 -c '
import sys, base64
e, rec = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
lines = [b"Record: " + base64.b64encode(rec) if l.startswith(b"Record: ") else l for l in e.split(b"\n")]
print(b"\n".join(lines).hex())' "$e" "$rec") || return 1
	db_sql "UPDATE log_entries SET data=X'$e' WHERE idx=$KIDX;
		UPDATE epoch_keys SET age_recipient='$ar', record=X'$rec' WHERE log_idx=$KIDX"
}
edit_entry tamper || no "edit the log entry"
send >/dev/null
refused $? "$n0" "(d) edited key entry"
check "(d) ... caught by the inclusion proof" grep -q "key entry is not in the verified checkpoint" "$T/send.err"
edit_entry undo || no "restore the log entry"
send >/dev/null || no "(d) undone: send fails: $(cat "$T/send.err")"
check "(d) undone: the same send works" [ "$(ncables)" = $((n0 + 1)) ]

# ---- the log itself is intact again ----
stop_switch
check "denpod log verify: the restored log checks" D log verify >/dev/null 2>&1
t_done it_keytrans
