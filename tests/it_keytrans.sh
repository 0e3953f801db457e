#!/usr/bin/env bash
# it_keytrans.sh - key transparency through the real programs
# (docs/transparency.md §3): a sender encrypts only to keys whose
# device-enrolled and key-published entries it has inclusion proofs for,
# under a checkpoint it verified.  The switch's database is tampered with
# sqlite3 (a substituted key, an invented device, an edited log entry):
# each send is refused with exit 3 and nothing is stored; each tampering
# undone, the same send goes through (so every check can fail).
. "$(dirname "$0")/lib.sh"
TS="$BUILD/tests/tool_submit"
need_programs it_keytrans "$DENPOD" "$DENPO" "$TS"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="keytrans test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
DB="$T/sw/denpod.db"
q() { sqlite3 -readonly "$DB" "$1"; }
printf '1. (S) Key transparency test.\n' >"$T/body"
# send -> MRN; exit status as denpo's (stderr in $T/send.err)
send() { dp sato.k send --body "$T/body" --class SECRET --prec ROUTINE --to WASHINGTON --tags ADMN \
	--subject "keytrans" 2>"$T/send.err"; }
ncables() { q "SELECT count(*) FROM cables"; }
cpsize() { sed -n 2p "$T/sato.k/log/checkpoint" 2>/dev/null || echo 0; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
# tamper: the switch stopped, a copy of its database kept, SQL run, the switch started
tamper() { stop_switch; cp "$DB" "$T/db.keep"; sqlite3 "$DB" "$1" || no "tamper: $1"; start_switch || no "restart"; }
undo() { stop_switch; cp "$T/db.keep" "$DB"; rm -f "$DB-wal" "$DB-shm"; start_switch || no "restart"; }
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
	[ "$(q "SELECT log_idx IS NOT NULL FROM devices WHERE hex(id)=upper('$TAN')")" = 1 ]
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
FAKE_SQL="ATTACH '$T/sw2/denpod.db' AS f;
	INSERT INTO devices(id,tls_key,officer,name,status,created,log_idx)
		SELECT id,tls_key,'tanaka.h',name,status,created,NULL FROM f.devices;
	INSERT INTO epoch_keys(device,epoch,not_before,not_after,age_recipient,record,published,retired,log_idx)
		SELECT device,epoch,not_before,not_after,age_recipient,record,published,retired,NULL FROM f.epoch_keys;"
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
edit_entry() { # python: entry KIDX's Record := mori's record of the same epoch (or back)
	python3 - "$DB" "$KIDX" "$TAN" "$MORI" "$1" <<'PY'
import sqlite3, sys, base64
db, idx, tan, mori, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
c = sqlite3.connect(db, timeout=10)
e = bytes(c.execute("SELECT data FROM log_entries WHERE idx=?", (idx,)).fetchone()[0])
ep = c.execute("SELECT epoch FROM epoch_keys WHERE log_idx=?", (idx,)).fetchone()[0]
if mode == "tamper":
    c.execute("CREATE TABLE IF NOT EXISTS kt_keep(idx INTEGER, data BLOB, rcpt TEXT, record BLOB)")
    c.execute("INSERT INTO kt_keep SELECT ?, ?, age_recipient, record FROM epoch_keys WHERE log_idx=?", (idx, e, idx))
    ar, rec = c.execute("SELECT age_recipient, record FROM epoch_keys WHERE hex(device)=upper(?) AND epoch=?", (mori, ep)).fetchone()
    lines = e.split(b"\n")
    lines = [b"Record: " + base64.b64encode(bytes(rec)) if l.startswith(b"Record: ") else l for l in lines]
    c.execute("UPDATE log_entries SET data=? WHERE idx=?", (b"\n".join(lines), idx))
    c.execute("UPDATE epoch_keys SET age_recipient=?, record=? WHERE log_idx=?", (ar, rec, idx))
else:
    d, ar, rec = c.execute("SELECT data, rcpt, record FROM kt_keep WHERE idx=?", (idx,)).fetchone()
    c.execute("UPDATE log_entries SET data=? WHERE idx=?", (d, idx))
    c.execute("UPDATE epoch_keys SET age_recipient=?, record=? WHERE log_idx=?", (ar, rec, idx))
    c.execute("DROP TABLE kt_keep")
c.commit()
PY
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
