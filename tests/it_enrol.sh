#!/usr/bin/env bash
# it_enrol.sh - enrolment an operator can check, through the real programs:
# `denpo init` and `denpod approve` show the same request fingerprint (and
# it is SHAKE256 of the request as docs/protocol.md says, computed here with
# Python's hashlib); `approve --expect` approves the request whose
# fingerprint the officer read and refuses a swapped one (nothing approved,
# the refusal logged, the device cannot use the switch); a weak new
# passphrase is refused with libpwquality's reason; a passphrase taken from
# $DENPO_PASSPHRASE gets a warning; `denpo key passphrase` changes it under
# the same check.
. "$(dirname "$0")/lib.sh"
need_programs it_enrol "$DENPOD" "$DENPO"
t_workdir
PASS="enrol test passphrase"
export DENPO_SCRYPT_LOGN=10 DENPOD_DATA="$T/sw"
unset DENPO_PASSPHRASE DENPO_HOME
WARN='denpo: warning: the passphrase comes from $DENPO_PASSPHRASE: other processes of this user (and root) can read it in /proc/PID/environ, and it tends to stay in shell history and scripts'

# The fingerprint of a request file, computed independently of the C code.
pyfp() {
	python3 -c '
import hashlib, sys
d = open(sys.argv[1], "rb").read()
h = hashlib.shake_256(b"denpo-enrol-fingerprint-v1\x00" + d).digest(40)
print(" ".join("%05d" % (int.from_bytes(h[5 * i:5 * i + 5], "big") % 100000) for i in range(8)))' "$1"
}
# The "fingerprint" line's value in a file.
fp_of() { sed -n 's/^fingerprint *//p' "$1"; }

{
	switch_init && D post add HQ --hq && D post add TOKYO &&
		D officer add sato.k --post TOKYO --clearance SECRET
} >/dev/null || no "switch setup"

# ---- weak passphrases: refused with the library's reason, nothing created ----
NWEAK=0
weak() { # NAME PASSPHRASE REASON (each in a fresh home: a passphrase wrongly accepted creates one)
	NWEAK=$((NWEAK + 1))
	DENPO_PASSPHRASE=$2 dp weak$NWEAK init --officer sato.k --post TOKYO >"$T/out" 2>"$T/err"
	local rc=$?
	check "$1: exit 1 (got $rc)" [ "$rc" = 1 ]
	check "$1: the reason" grep -qxF "denpo: weak passphrase ($3): refused by policy" "$T/err"
	check "$1: what to do" grep -qF "  -> choose a longer one: four or more unrelated words" "$T/err"
	check "$1: no keystore, no request" [ ! -e "$T/weak$NWEAK/keystore.age" -a ! -e "$T/weak$NWEAK/enrol-request.txt" ]
}
weak "5 characters" abcde "The password is shorter than 12 characters"
weak "a dictionary word" password123456 "The password fails the dictionary check - it is too simplistic/systematic"
weak "the officer's handle" "sato.k is the best" "The password contains the user name in some form"
printf 'abcde\n' >"$T/weakpf"
dp weakpf --passphrase-file "$T/weakpf" init --officer sato.k --post TOKYO >"$T/out" 2>"$T/err"
check "a weak passphrase from a file is refused too" [ $? = 1 -a ! -e "$T/weakpf/keystore.age" ]
check "no env warning for a passphrase file" not grep -qF 'DENPO_PASSPHRASE' "$T/err"

# ---- the officer's device: init shows the fingerprint; the env passphrase warns once ----
DENPO_PASSPHRASE=$PASS dp sato.k init --officer sato.k --post TOKYO >"$T/init.out" 2>"$T/init.err"
check "init with a strong passphrase" [ $? = 0 -a -s "$T/sato.k/keystore.age" ]
check "DENPO_PASSPHRASE warns once" [ "$(grep -cxF "$WARN" "$T/init.err")" = 1 ]
check "the warning says what to do" grep -qxF "  -> use --passphrase-file FILE (mode 0600) or type it when asked" "$T/init.err"
FP=$(fp_of "$T/init.out")
check "init shows 8 groups of 5 digits [$FP]" grep -qxE '([0-9]{5} ){7}[0-9]{5}' <<<"$FP"
check "init's fingerprint is SHAKE256 of the request (hashlib: $(pyfp "$T/sato.k/enrol-request.txt"))" \
	[ "$FP" = "$(pyfp "$T/sato.k/enrol-request.txt")" ]
check "init tells the officer to read it to the operator" grep -qF "read them the fingerprint" "$T/init.out"

# ---- a swapped request: someone else's device claims to be sato.k ----
printf '%s\n' "$PASS" >"$T/pf"
chmod 600 "$T/pf"
dp mallory --passphrase-file "$T/pf" --json init --officer sato.k --post TOKYO >"$T/m.json" 2>"$T/m.err"
check "a second device" [ $? = 0 ]
check "no env warning with a passphrase file" not grep -qF 'DENPO_PASSPHRASE' "$T/m.err"
MFP=$(jq -r .fingerprint "$T/m.json")
check "init --json has the fingerprint" [ "$MFP" = "$(pyfp "$T/mallory/enrol-request.txt")" ]
check "two requests, two fingerprints" [ "$MFP" != "$FP" ]
D log show >"$T/log0"
D approve "$T/mallory/enrol-request.txt" --out "$T/m.answer" --expect "$FP" >"$T/out" 2>"$T/err"
check "approve --expect with the officer's fingerprint refuses the swapped request: exit 1 (got $?)" [ $? = 1 ]
check "the refusal says so" grep -qxF "denpod: approve: REFUSED: the request's fingerprint is" "$T/err"
check "the refusal shows the request's fingerprint" grep -qxF "  $MFP" "$T/err"
check "nothing approved: no answer" [ ! -e "$T/m.answer" ]
check "nothing approved: no device" [ -z "$(D device list)" ]
D log show >"$T/log1"
check "the refusal is logged (ENROL-REFUSED with the fingerprint)" \
	grep -q "^Detail: request of device .* for officer sato.k at TOKYO: fingerprint $MFP, not the one" "$T/log1"
check "nothing else is logged" [ "$(grep -c '^# entry' "$T/log1")" = $(($(grep -c '^# entry' "$T/log0") + 1)) ]
check "no device-enrolled entry" not grep -qi "device-enrolled" "$T/log1"
# one digit off, and not a fingerprint at all
ONE_OFF=$(sed 's/^\(.\{46\}\)\(.\)$/\1X/' <<<"$FP" | sed "s/X\$/$(( (${FP: -1} + 1) % 10 ))/")
D approve "$T/sato.k/enrol-request.txt" --out "$T/s.answer" --expect "$ONE_OFF" >/dev/null 2>"$T/err"
check "one digit off is refused (exit 1)" [ $? = 1 -a ! -e "$T/s.answer" ]
D approve "$T/sato.k/enrol-request.txt" --out "$T/s.answer" --expect "${FP% *}" >/dev/null 2>"$T/err"
check "seven groups: usage error (exit 2)" [ $? = 2 -a ! -e "$T/s.answer" ]
check "seven groups: says what to give" grep -qF "is not a request fingerprint: give the 40 digits" "$T/err"
check "still no device" [ -z "$(D device list)" ]

start_switch || no "denpod did not start"

# ---- the officer reads the digits; typed with dashes they match ----
D approve "$T/sato.k/enrol-request.txt" --out "$T/s.answer" --expect "${FP// /-}" >"$T/ap.out" 2>"$T/err"
check "approve --expect with the right fingerprint approves (exit $?)" [ -s "$T/s.answer" ]
check "approve shows the same fingerprint as init" [ "$(fp_of "$T/ap.out")" = "$FP" ]
check "with --expect, no 'check:' advice" not grep -q "^check:" "$T/ap.out"
DENPO_PASSPHRASE=$PASS dp sato.k enrol --answer "$T/s.answer" >/dev/null 2>&1 || no "enrol sato.k"
DENPO_PASSPHRASE=$PASS dp sato.k key status >"$T/ks.out" 2>"$T/ks.err"
check "the approved device uses the switch (key status)" [ $? = 0 ]
check "a command warns once about DENPO_PASSPHRASE" [ "$(grep -cxF "$WARN" "$T/ks.err")" = 1 ]
# The refused device cannot use the switch: the switch does not know its
# key, and denpo enrol refuses the answer made for the officer's device.
MID=$(jq -r .device "$T/m.json")
check "the switch lists the officer's device only" [ "$(D device list | grep -c .)" = 1 ] &&
	check "and not the refused one" not grep -q "$MID" <(D device list)
dp mallory --passphrase-file "$T/pf" enrol --answer "$T/s.answer" >/dev/null 2>&1
check "the refused device cannot import the officer's answer" [ $? != 0 -a ! -e "$T/mallory/answer.txt" ]

# ---- without --expect: approve shows the fingerprint and what to check ----
DENPO_PASSPHRASE=$PASS dp ito.m init --officer ito.m --post TOKYO >"$T/i.out" 2>/dev/null
D approve "$T/ito.m/enrol-request.txt" --out "$T/i.answer" --clearance SECRET >"$T/ap2.out" 2>"$T/err"
check "approve without --expect approves" [ $? = 0 -a -s "$T/i.answer" ]
check "and shows init's fingerprint" [ "$(fp_of "$T/ap2.out")" = "$(fp_of "$T/i.out")" -a -n "$(fp_of "$T/i.out")" ]
check "and says what to check" grep -q "^check: the officer reads you the fingerprint" "$T/ap2.out"
stop_switch || no "denpod exit status"

# ---- changing the passphrase: the same check; the old one then opens nothing ----
ks_sum() { sha256sum "$T/sato.k/keystore.age" | cut -d' ' -f1; }
K0=$(ks_sum)
NEW="harbour lantern violet 7"
printf 'abcde\n' >"$T/new.weak"
printf 'Enrol Test Passphrase\n' >"$T/new.case"
printf '%s\n' "$NEW" >"$T/new.good"
setsid -w env DENPO_PASSPHRASE="$PASS" "$DENPO" --home "$T/sato.k" key passphrase </dev/null >"$T/out" 2>"$T/err"
check "key passphrase: the new one never comes from the environment (no terminal: exit $?)" [ $? = 1 ]
check "key passphrase: says where to give it" \
	grep -qxF "denpo: no terminal to ask for the passphrase: use --new-passphrase-file FILE" "$T/err"
DENPO_PASSPHRASE=$PASS dp sato.k key passphrase --new-passphrase-file "$T/new.weak" >"$T/out" 2>"$T/err"
check "key passphrase: a weak new one is refused (exit $?)" [ $? = 1 ]
check "key passphrase: with the library's reason" \
	grep -qxF "denpo: weak passphrase (The password is shorter than 12 characters): refused by policy" "$T/err"
DENPO_PASSPHRASE=$PASS dp sato.k key passphrase --new-passphrase-file "$T/new.case" >"$T/out" 2>"$T/err"
check "key passphrase: one differing from the old by case only is refused" \
	grep -qxF "denpo: weak passphrase (The password differs with case changes only): refused by policy" "$T/err"
check "key passphrase: refusals leave the keystore as it was" [ "$(ks_sum)" = "$K0" ]
DENPO_PASSPHRASE=$PASS dp sato.k key passphrase --new-passphrase-file "$T/new.good" >"$T/out" 2>"$T/err"
check "key passphrase: a strong new one is taken (exit $?)" [ $? = 0 -a "$(ks_sum)" != "$K0" ]
check "the keystore stays 0600" [ "$(stat -c %a "$T/sato.k/keystore.age")" = 600 ]
DENPO_PASSPHRASE=$PASS dp sato.k key export-identity --out "$T/id.old" >/dev/null 2>"$T/err"
check "the old passphrase opens nothing" grep -qF "wrong passphrase" "$T/err"
DENPO_PASSPHRASE=$NEW dp sato.k key export-identity --out "$T/id.new" >/dev/null 2>&1
check "the new one opens the keystore" [ -s "$T/id.new" ]
t_done it_enrol
