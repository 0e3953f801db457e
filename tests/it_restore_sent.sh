#!/usr/bin/env bash
# it_restore_sent.sh - the switch restored from a backup (docs/operations.md,
# "Back up and restore") has lost the cables accepted after the backup; the
# device that sent them still holds them.  `denpo sent` lists them as LOST
# FROM SWITCH (exit 0, a warning on stderr), never a cable the switch still
# holds (one sent before the backup, even beyond the first page of the
# switch's sent list); `denpo retry --lost` resends them FLASH first, each
# with a new MRN, once the recipient's device has published again the key
# it published after the backup; the recipient reads them; `denpo sent`
# shows them under their new MRNs with (was OLD MRN) and nothing lost.
# The operator's and officers' own steps throughout: `denpod backup`,
# `denpod restore` and `denpo log recover` (it_recover has the manual
# rollback and the forgeries).
. "$(dirname "$0")/lib.sh"
FLOOD="$BUILD/tests/tool_flood"
need_programs it_restore_sent "$DENPOD" "$DENPO" "$FLOOD"
pg_only_skip it_restore_sent "it restores the switch with denpod backup/restore, which copy SQLite's file (on PostgreSQL they refuse and name the database's own tools)"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="restore test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL
body() { printf '%s\n' "$@" >"$T/body"; }
# send PREC SUBJECT -> MRN (sato.k, CONFIDENTIAL, to WASHINGTON)
send() { dp sato.k send --body "$T/body" --class CONFIDENTIAL --prec "$1" --to WASHINGTON --tags ADMN \
	--subject "$2" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
all() { eval "$1"; } # all 'A && B': a condition of several commands, for check
lost_ids() { grep '^LOST FROM SWITCH' "$1" | awk '{print $8}' | sort | paste -sd' ' -; }

{
	switch_init && D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add suzuki.w --post WASHINGTON --clearance SECRET
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON suzuki.w:WASHINGTON
start_switch || no "denpod did not start"

# ---- before the backup: one cable the restored switch still holds ----
body "1. (C) Sent before the backup."
OLD=$(send IMMEDIATE "before the backup") || no "send OLD: $(cat "$T/send.err")"
OLDID=$(id_of "$OLD")
dp tanaka.h inbox >/dev/null 2>&1 || no "tanaka.h inbox before the backup"
# the operator's online backup (docs/operations.md, "Back up and restore")
D backup "$T/backup" >/dev/null || no "denpod backup"

# ---- after the backup: the recipient starts a new key epoch, then a FLASH and a ROUTINE ----
dp tanaka.h key rotate >/dev/null 2>&1 || no "tanaka.h key rotate"
body "1. (C) FLASH-AFTER-BACKUP-4471."
FL=$(send FLASH "flash after the backup") || no "send FLASH: $(cat "$T/send.err")"
body "1. (C) ROUTINE-AFTER-BACKUP-5582."
RO=$(send ROUTINE "routine after the backup") || no "send ROUTINE: $(cat "$T/send.err")"
FLID=$(id_of "$FL")
ROID=$(id_of "$RO")
# a second recipient reads the FLASH before the restore: its device keeps the FLASH's MRN,
# bound to a log entry the restore loses
dp suzuki.w read "$FLID" >"$T/read.s0" 2>&1 || no "suzuki.w read FLASH before the restore: $(cat "$T/read.s0")"
check "suzuki.w reads the FLASH under $FL before the restore" grep -q "$FL" "$T/read.s0"
check "FLASH and ROUTINE accepted after the backup ($FL, $RO)" [ -n "$FLID" -a -n "$ROID" ]
dp sato.k sent >"$T/sent0" 2>"$T/sent0.err"
check "before the restore nothing is lost" not grep -q LOST "$T/sent0" "$T/sent0.err"

# ---- the restore: stop, denpod restore (it accepts the rollback), start ----
stop_switch || no "stop"
D restore "$T/backup" --operator ito >/dev/null || no "denpod restore"
start_switch || no "denpod did not start on the backup"
check "the switch has lost both" [ -z "$(id_of "$FL")$(id_of "$RO")" ]

# the officer goes on sending from elsewhere: 110 cables (libdenpo's client, no
# record on this device) push OLD beyond the first page (100) of the sent list
mkdir -p "$T/flood" && "$FLOOD" "$T/sato.k" WASHINGTON 110 "$T/flood" 4 60 >"$T/flood.log" 2>"$T/flood.err" ||
	no "flood: $(tail -n 3 "$T/flood.err" "$T/flood.log")"
check "110 more cables of sato.k on the switch" [ "$(grep -c '^ok ' "$T/flood.log")" = 110 ]

# the devices saw a newer checkpoint of the log than the restored one: fork evidence, exit 3,
# until each recovers with the LOG-ROLLBACK that denpod restore logged
dp sato.k sent >/dev/null 2>&1
rc=$?
check "sato.k's device reports the rolled-back log (exit $rc)" [ "$rc" = 3 ]
dp sato.k log recover --yes >/dev/null 2>&1 || no "sato.k: denpo log recover"

# ---- denpo sent: both LOST, OLD not, exit 0, said on stderr ----
dp sato.k sent >"$T/sent1" 2>"$T/sent1.err"
rc=$?
check "denpo sent: exit 0 with lost cables (exit $rc; $(head -c 300 "$T/sent1.err"))" [ "$rc" = 0 ]
check "denpo sent lists FLASH and ROUTINE as LOST FROM SWITCH (got: $(grep LOST "$T/sent1"))" \
	[ "$(lost_ids "$T/sent1")" = "$(printf '%s\n' "$FLID" "$ROID" | sort | paste -sd' ' -)" ]
check "... as LOST FROM SWITCH  MRN  PREC  ID  (resend: denpo retry ID)" \
	grep -qxF "LOST FROM SWITCH  $FL  FLASH  $FLID  (resend: denpo retry $FLID)" "$T/sent1"
check "... FLASH first" [ "$(grep -m1 '^LOST' "$T/sent1" | awk '{print $8}')" = "$FLID" ]
check "... with a summary naming denpo retry --lost" \
	grep -q '^2 cables sent from this device are lost from the switch.*denpo retry --lost' "$T/sent1"
check "... and a warning on stderr" grep -q 'warning: 2 cables .* lost from the switch' "$T/sent1.err"
check "the cable sent before the backup (beyond the first page) is not lost" not grep -q "$OLDID" <(grep LOST "$T/sent1")
dp sato.k --json sent >"$T/sent1.json" 2>/dev/null
check "--json: \"lost\" holds both, FLASH first, with their old MRNs" \
	[ "$(jq -r '[.lost[] | "\(.precedence) \(.mrn) \(.cable_id)"] | join(",")' "$T/sent1.json")" = \
	"FLASH $FL $FLID,ROUTINE $RO $ROID" ]

# ---- retry --lost before the recipient has connected: its new key is unknown to the restored switch ----
dp sato.k retry --lost >"$T/retry0" 2>"$T/retry0.err"
rc=$?
check "retry --lost while the recipient's key is unknown: exit 1 (exit $rc)" [ "$rc" = 1 ]
check "... each one NOT RESENT, saying why" \
	[ "$(grep -c '^NOT RESENT .*key epoch [0-9]* is unknown' "$T/retry0")" = 2 ]
check "... and what to do" grep -q 'recipient.s device has connected to the switch' "$T/retry0"
dp sato.k sent >"$T/sent2" 2>/dev/null
check "... and both are still listed as lost" [ "$(grep -c '^LOST FROM SWITCH' "$T/sent2")" = 2 ]

# the recipient runs `denpo log recover` too: it verified nothing of the lost range (no
# witness reset) but published a key in it, which the restored switch lacks: published again
dp tanaka.h log recover --yes >"$T/rec.t" 2>&1 || no "tanaka.h: denpo log recover: $(cat "$T/rec.t")"
check "tanaka.h: nothing to recover, keys published again ($(grep -v passphrase "$T/rec.t" | tr '\n' ' '))" \
	grep -qz 'nothing to recover.*keys published again: [1-9]' "$T/rec.t"
dp tanaka.h inbox >/dev/null 2>&1 || no "tanaka.h inbox after the restore"

# ---- retry --lost: FLASH first, new MRNs ----
dp sato.k retry --lost >"$T/retry1" 2>"$T/retry1.err"
rc=$?
check "retry --lost: exit 0 (exit $rc; $(head -c 300 "$T/retry1" "$T/retry1.err"))" [ "$rc" = 0 ]
check "... FLASH resent first, then ROUTINE" \
	[ "$(grep '^RESENT' "$T/retry1" | awk '{print $2}' | paste -sd' ' -)" = "FLASH ROUTINE" ]
NFL=$(awk -v id="$FLID" '$1 == "RESENT" && $NF == id {print $3" "$4" "$5}' "$T/retry1")
NRO=$(awk -v id="$ROID" '$1 == "RESENT" && $NF == id {print $3" "$4" "$5}' "$T/retry1")
check "... the switch holds them again under the MRNs printed ($NFL, $NRO)" \
	[ "$(id_of "$NFL") $(id_of "$NRO")" = "$FLID $ROID" ]
check "... FLASH accepted before ROUTINE (its MRN is lower)" [ "${NFL##* }" \< "${NRO##* }" ]
check "the record keeps the MRN before the restore, and has the new one" \
	[ "$(jq -r '"\(.mrn_before_restore)/\(.mrn)"' "$T/sato.k/sent/$FLID.json")" = "$FL/$NFL" ]

# suzuki.w witnessed the lost log: a witness reset, and its kept MRN of the FLASH dropped
dp suzuki.w log recover --yes >"$T/rec.s" 2>&1 || no "suzuki.w: denpo log recover: $(cat "$T/rec.s")"
check "suzuki.w recovers and drops the reference number bound to the lost log" \
	grep -qz 'recovered: .*reference numbers of 1 cables bound to the lost log entries dropped' "$T/rec.s"
dp suzuki.w read "$FLID" >"$T/read.s1" 2>&1 || no "suzuki.w read FLASH after the resend: $(cat "$T/read.s1")"
check "... and shows the resent FLASH under its new MRN $NFL, not $FL" \
	all 'grep -q "$NFL" "$T/read.s1" && ! grep -q "$FL" "$T/read.s1"'

# ---- the recipient reads both ----
dp tanaka.h read "$FLID" >"$T/read.fl" 2>"$T/read.fl.err" || no "tanaka.h read FLASH: $(cat "$T/read.fl.err")"
check "the recipient reads the FLASH" grep -q FLASH-AFTER-BACKUP-4471 "$T/read.fl"
dp tanaka.h read "$ROID" >"$T/read.ro" 2>"$T/read.ro.err" || no "tanaka.h read ROUTINE: $(cat "$T/read.ro.err")"
check "the recipient reads the ROUTINE" grep -q ROUTINE-AFTER-BACKUP-5582 "$T/read.ro"

# ---- denpo sent: new MRNs with (was ...), nothing lost ----
dp sato.k sent >"$T/sent3" 2>"$T/sent3.err"
rc=$?
check "denpo sent after the resend: exit 0 (exit $rc)" [ "$rc" = 0 ]
check "... nothing lost" not grep -q LOST "$T/sent3" "$T/sent3.err"
check "... the FLASH under its new MRN (was the old one)" \
	grep -q "^$NFL .*$FLID  (was $FL)\$" "$T/sent3"
check "... the ROUTINE too" grep -q "^$NRO .*$ROID  (was $RO)\$" "$T/sent3"
check "--json: mrn_before_restore, and \"lost\" empty" \
	[ "$(dp sato.k --json sent 2>/dev/null | jq -r --arg id "$FLID" \
		'"\(.lost | length) \(.cables[] | select(.cable_id == $id) | .mrn_before_restore)"')" = "0 $FL" ]
dp sato.k retry --lost >"$T/retry2" 2>&1
check "retry --lost with nothing lost: exit 0, says so" grep -q '^no lost cables' "$T/retry2"
check "retry --lost takes no id" not dp sato.k retry --lost "$FLID" >/dev/null 2>&1

t_done it_restore_sent
