#!/usr/bin/env bash
# it_backlog.sh - a post coming back online drains its backlog (issue 11,
# docs/detection.md §2 "Deliveries"): 5,000 cables of mixed precedence are
# queued for MANILA's only device while it is away, by four sending devices
# at HQ; the switch is stopped and started again half-way; detect.conf is
# absent (the shipped defaults).  The device comes back and drains its inbox
# (tests/tool_drain: libdenpo's client doing what `denpo inbox` and
# `denpo read --ack` do, page after page); a FLASH cable sent with
# `denpo send` half-way through the drain is taken at the next page.
# Checked: every cable delivered, none refused; the order is precedence,
# then acceptance, in the drain's own account and in the switch's
# transparency log (cable-delivered entries); nothing pages, no
# containment step, no alert at all; the real `denpo inbox` lists the same
# order before and nothing after; `denpo read` opens the late FLASH.
#
# Against a switch without the fix the device is throttled after 1,500
# deliveries (BULK-CAP, suspension withheld: last device of the post) and
# the late FLASH is refused: TOOLS=<this tree's build/tests> BUILD=<other>.
. "$(dirname "$0")/lib.sh"
TOOLS=${TOOLS:-$BUILD/tests}
TS="$TOOLS/tool_submit" DRAIN="$TOOLS/tool_drain"
need_programs it_backlog "$DENPOD" "$DENPO" "$TS" "$DRAIN"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="backlog test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET
URL=https://127.0.0.1:$PORT
# per round: how many cables of each precedence (10 rounds: 5,000 cables)
ROUNDS=10
declare -A PER=([FLASH]=5 [IMMEDIATE]=45 [PRIORITY]=150 [ROUTINE]=300)
RANK=(FLASH IMMEDIATE PRIORITY ROUTINE)
N=$((ROUNDS * (5 + 45 + 150 + 300)))

{
	switch_init && D post add HQ --hq --tz Asia/Tokyo && D post add MANILA --tz Asia/Manila &&
		D officer add sato.k --post HQ --clearance SECRET &&
		D officer add reyes.m --post MANILA --clearance SECRET &&
		for o in ito.h mori.a abe.s kato.y; do D officer add "$o" --post HQ --clearance SECRET || exit 1; done
} >"$T/init.out" || no "switch setup"
enrol_devices sato.k:HQ reyes.m:MANILA
PIN=$(awk '/tls pin/ {print $3}' "$T/init.out")
# the four sending devices, one per precedence
declare -A SENDER=([FLASH]=ito.h [IMMEDIATE]=mori.a [PRIORITY]=abe.s [ROUTINE]=kato.y)
for p in "${RANK[@]}"; do
	"$TS" enrol "$T/tool.$p" "${SENDER[$p]}" HQ >/dev/null &&
		D approve "$T/tool.$p/request" --out "$T/tool.$p/answer" >/dev/null || no "enrol the $p sender"
done
check "no detect.conf: the shipped defaults" [ ! -e "$T/sw/detect.conf" ]
start_switch || no "denpod did not start"
AWAY=$(dp reyes.m --json whoami | jq -r .device)

# ---- 5,000 cables queued while the device is away; the switch restarted half-way ----
t0=$(date +%s.%N)
for r in $(seq "$ROUNDS"); do
	if [ "$r" = $((ROUNDS / 2 + 1)) ]; then
		stop_switch || no "the switch stops cleanly"
		start_switch || no "the switch starts again"
	fi
	pids=()
	for p in "${RANK[@]}"; do
		"$TS" send "$T/tool.$p" "$URL" "$PIN" MANILA CONFIDENTIAL "$p" --size 1024 \
			--count "${PER[$p]}" >>"$T/sent.$p" 2>>"$T/sent.err" &
		pids+=($!)
	done
	wait "${pids[@]}"
done
echo "queued $N cables for MANILA in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s" >&2
for p in "${RANK[@]}"; do
	sed 's/^201 //' "$T/sent.$p" | jq -r --arg p "$p" '"\(.cable_id) \($p)"'
done | sort >"$T/sent.map"
check "$N cables accepted (201)" [ "$(cat "$T"/sent.FLASH "$T"/sent.IMMEDIATE "$T"/sent.PRIORITY \
	"$T"/sent.ROUTINE | grep -c '^201 ')" = "$N" ]
check "the switch was restarted while they were queued" [ "$(grep -c listening "$T/run.log")" = 2 ]
rm -f "$T/sent.err"

# ---- the real client's view: FLASH first, then by acceptance ----
dp reyes.m --json inbox >"$T/inbox.json" || no "denpo inbox"
jq -r '.cables[] | "\(.cable_id) \(.precedence)"' "$T/inbox.json" >"$T/inbox.first"
check "denpo inbox lists a page of 100" [ "$(wc -l <"$T/inbox.first")" = 100 ]
check "... the 50 FLASH cables first" \
	[ "$(head -50 "$T/inbox.first" | awk '{print $2}' | sort -u)" = FLASH ]
check "... then IMMEDIATE" [ "$(sed -n 51,100p "$T/inbox.first" | awk '{print $2}' | sort -u)" = IMMEDIATE ]

# ---- the device comes back online and drains ----
"$DRAIN" "$T/reyes.m" 20 >"$T/drain.out" 2>"$T/drain.err" &
DPID=$!
trap 'kill $DPID 2>/dev/null; t_cleanup' EXIT
# half-way (or when the drain stops moving), HQ sends a FLASH with the real client
oks() { grep -c '^ok ' "$T/drain.out"; }
last=-1 still=0
for _ in $(seq 1200); do
	n=$(oks)
	[ "$n" -ge $((N / 2)) ] && break
	kill -0 "$DPID" 2>/dev/null || break
	if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0 last=$n; fi
	[ "$still" -ge 30 ] && break # 3 s without a delivery
	sleep 0.1
done
AT=$(oks)
printf '1. (C) Typhoon warning: close the chancery at 1400 local.\n' >"$T/body"
LATE=$(dp sato.k send --body "$T/body" --class C --prec FLASH --to MANILA --tags ASEC \
	--subject "typhoon" 2>"$T/send.err") || no "HQ sends a FLASH mid-drain: $(cat "$T/send.err")"
ACCEPTED=$(oks) # the cable is accepted when denpo send returns: at the latest, the next page has it
LATEID=$(dp sato.k --json sent | jq -r --arg m "$LATE" '.cables[] | select(.mrn == $m) | .cable_id')
echo "late FLASH $LATE ($LATEID) sent after $AT deliveries, accepted by $ACCEPTED" >&2
wait "$DPID"
rc=$?
DPID=
cat "$T/drain.err" >&2
grep -v '^ok ' "$T/drain.out" | head -5 >&2

# ---- every cable delivered, none refused ----
check "the drain ends with an empty inbox, no refusal, nothing bad (exit $rc)" [ "$rc" = 0 ]
check "every cable delivered: $N + the late FLASH ($(oks))" [ "$(oks)" = $((N + 1)) ]
check "no fetch refused (429/403: $(grep -c '^refused ' "$T/drain.out"))" \
	[ "$(grep -c '^refused ' "$T/drain.out")" = 0 ]
check "denpo inbox: nothing left" grep -q "no cables waiting" <<<"$(dp reyes.m inbox)"

# ---- in precedence order, then acceptance ----
awk '$1 == "ok" {print $3, $4, $2}' "$T/drain.out" >"$T/order"
check "the precedences the switch listed are the ones sent" \
	[ "$(grep -v "^$LATEID " "$T/order" | awk '{print $1, $2}' | sort)" = "$(cat "$T/sent.map")" ]
rank() { awk '{r = ($2 == "FLASH") ? 0 : ($2 == "IMMEDIATE") ? 1 : ($2 == "PRIORITY") ? 2 : 3; print r, $3}'; }
check "the backlog drained in precedence order, then acceptance order" \
	cmp -s <(grep -v "^$LATEID " "$T/order" | rank) <(grep -v "^$LATEID " "$T/order" | rank | sort -n -k1,1 -k2,2)
POS=$(awk -v id="$LATEID" '$1 == id {print NR; exit}' "$T/order")
check "the late FLASH was taken within a page of its arrival (accepted by $ACCEPTED, at ${POS:-never})" \
	[ "${POS:-999999}" -le $((ACCEPTED + 101)) ]
check "the late FLASH was never refused ($(grep -c "^refused .* $LATEID " "$T/drain.out") times)" \
	not grep -q "^refused .* $LATEID " "$T/drain.out"
check "the first page is what denpo inbox listed" cmp -s <(head -100 "$T/order" | awk '{print $1, $2}') "$T/inbox.first"
D log show >"$T/log"
awk -v dev="$AWAY" '/^# entry/ {e = ""; id = ""} /^Event:/ {e = $2} /^Cable-Id:/ {id = $2}
	/^Device:/ && e == "cable-delivered" && $2 == dev {print id}' "$T/log" >"$T/delivered"
check "the transparency log holds the deliveries in the same order" \
	cmp -s "$T/delivered" <(awk '{print $1}' "$T/order")

# ---- nothing pages, nothing is contained ----
jq -c 'select(.event.kind == "alert")' "$T/sw/alerts.jsonl" 2>/dev/null >"$T/alerts"
jq -r '"\(.rule.name) page=\(.denpo.page) \(.event.reason)"' "$T/alerts" | head -5 >&2
check "no alert pages ($(jq -s 'map(select(.denpo.page)) | length' "$T/alerts"))" \
	[ "$(jq -s 'map(select(.denpo.page)) | length' "$T/alerts")" = 0 ]
check "no alert at all ($(wc -l <"$T/alerts"))" [ ! -s "$T/alerts" ]
check "no containment step in the alert file" \
	[ -z "$(jq -c 'select(.event.kind == "event")' "$T/sw/alerts.jsonl" 2>/dev/null)" ]
check "no containment step open" grep -q "no open" <<<"$(D contain list)"
check "no alert or containment entry in the log" not grep -qE '^Event: (alert|containment)$' "$T/log"
check "the officer reads the late FLASH with denpo read" dp reyes.m read "$LATEID" >/dev/null
t_done it_backlog
