#!/usr/bin/env bash
# it_scenario.sh - the scenario generator (bench/bench_scenario.c) against the
# real detection engine: a seeded 7-day ministry (234 posts, 3,000 officers,
# 21 days of warm-up) with labelled attacks.
#
#  1. The engine's defaults with --check on the attack types STOLEN-BULK,
#     FOREIGN-CREDS, DECOY-TOUCH: exit 0; the JSON report has its structure,
#     every attack paged within 300 s and contained within 600 s of its first
#     malicious event, false pages <= 1 per 1,000 officer-days, and the
#     engine saw every event the generator fed.  The run holds a post coming
#     back online and a records device back from maintenance (thousands of
#     cables queued), across a switch restart: none of them pages, and no
#     FLASH delivery is refused for a throttle.
#  2. The same run again: the same report (seeded), but for the wall-clock speed.
#  3. --report-only, all attack types: nobody paged, nothing throttled,
#     blocked or suspended, no collateral, but alerts still raised, on every
#     attack too, each with its would-be action.
#  4. The defaults with --check and all five types pass; a configuration that
#     lets a slow drip through (deep.max-hour = 10) fails --check (exit 1)
#     and says why.
#  5. Bad usage exits 2 with a message: unknown option, bad number, missing
#     config file, a config the engine refuses (line number in the message).
. "$(dirname "$0")/lib.sh"
SCN="$BUILD/bench/bench_scenario"
need_programs it_scenario "$SCN"
if ! command -v jq >/dev/null; then
	skip "jq not installed"
	t_done it_scenario
	exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
COMMON=(--seed 7 --days 7 --attacks 2 --quiet)

# ---- 1. the defaults, --check on three types ----
"$SCN" "${COMMON[@]}" --types stolen-bulk,foreign-creds,decoy-touch \
	--check --json "$T/a.json" >"$T/a.out" 2>"$T/a.err"
rc=$?
check "check run exits 0 (got $rc: $(tail -n 1 "$T/a.out"))" [ "$rc" = 0 ]
check "check run prints PASSED" grep -q '^check: PASSED' "$T/a.out"
J="$T/a.json"
check "json parses" jq -e . "$J" >/dev/null
check "json has every section" jq -e 'has("params") and has("rates") and has("workload") and has("attacks")
	and has("false_pages") and has("collateral") and has("phases") and has("engine") and has("speed")
	and has("check")' "$J" >/dev/null
check "params are the run's" jq -e '.params.seed == 7 and .params.days == 7 and .params.attacks_per_type == 2
	and .params.posts == 234 and .params.officers >= 2900 and .params.devices > .params.officers
	and .params.report_only == false' "$J" >/dev/null
check "rates table documented" jq -e '(.rates | length) >= 50 and all(.rates[]; (.key | length) > 0 and .lo <= .hi
	and (.unit | type) == "string" and (.basis | type) == "string")' "$J" >/dev/null
check "workload plausible" jq -e '.workload.events > 1000000 and .workload.first_fetches > 100000
	and .workload.refetches > 0 and .workload.keyreq > 0 and .workload.denied > 0 and .workload.cables > 10000
	and .workload.decoy_cables > 0 and .workload.active_officer_days < .workload.officer_days
	and .workload.officer_days == .params.officers * 7' "$J" >/dev/null
check "three attack types, two each" jq -e '(.attacks.by_type | length) == 3 and all(.attacks.by_type[]; .k == 2)
	and ([.attacks.by_type[].type] | sort) == ["DECOY-TOUCH", "FOREIGN-CREDS", "STOLEN-BULK"]
	and (.attacks.list | length) == 6' "$J" >/dev/null
check "every attack paged <= 300 s and contained <= 600 s" jq -e 'all(.attacks.list[]; .started and .page_s != null
	and .page_s <= 300 and .contain_s != null and .contain_s <= 600 and (.rules | length) > 0)' "$J" >/dev/null
check "per-type figures consistent" jq -e 'all(.attacks.by_type[]; .paged == .k and .paged_within_300s == .k
	and .contained_within_600s == .k and .page_s.max <= 300 and .page_s.median <= .page_s.max
	and .obtained_before_containment.max <= .obtained_total.max)' "$J" >/dev/null
check "false pages within budget and explained" jq -e '.false_pages.per_1000_officer_days <= 1
	and (.false_pages.count == ([.false_pages.by_rule[]] | add // 0))
	and (.false_pages.by_class | length) == 5' "$J" >/dev/null
check "outage returns across a restart, one of thousands of cables" jq -e '.workload.outages.returns > 1
	and .workload.outages.returns_after_restart > 0 and .workload.outages.max_backlog >= 2000
	and .workload.restarts >= 2 and .workload.records_devices == 2' "$J" >/dev/null
check "... and no false page on their return ($(jq -c '.false_pages.by_cause' "$J"))" \
	jq -e '(.false_pages.by_cause["outage-return"] // 0) == 0' "$J" >/dev/null
check "no FLASH delivery refused for a throttle ($(jq -c .flash "$J"))" jq -e '.flash.benign_deliveries > 0
	and .flash.refused_throttled == 0' "$J" >/dev/null
check "engine saw every event fed" jq -e '.engine.events == .speed.events and .engine.unknown_device == 0
	and .speed.events_per_s > 0 and .engine.pages >= .phases.measured.pages' "$J" >/dev/null
check "check.passed in json" jq -e '.check.passed == true and .check.why == ""' "$J" >/dev/null

# ---- 2. seeded: the same run, the same report ----
"$SCN" "${COMMON[@]}" --types stolen-bulk,foreign-creds,decoy-touch \
	--check --json "$T/a2.json" >/dev/null 2>&1
check "same seed, same report" cmp -s <(jq -S 'del(.speed)' "$T/a.json") <(jq -S 'del(.speed)' "$T/a2.json")

# ---- 3. report-only: alerts, but no page, no action ----
"$SCN" "${COMMON[@]}" --report-only --json "$T/r.json" >"$T/r.out" 2>&1
rc=$?
check "report-only run exits 0 (got $rc)" [ "$rc" = 0 ]
R="$T/r.json"
check "report-only flagged" jq -e '.params.report_only == true and (.attacks.by_type | length) == 5' "$R" >/dev/null
check "report-only pages nobody" jq -e '.engine.pages == 0 and .phases.measured.pages == 0 and .phases.warmup.pages == 0
	and .false_pages.count == 0 and all(.attacks.list[]; .page_s == null)' "$R" >/dev/null
check "report-only contains nothing" jq -e '.engine.throttles == 0 and .engine.suspensions == 0
	and .engine.throttled_requests == 0 and .engine.blocked_requests == 0
	and all(.attacks.list[]; .contain_s == null and .suspend_s == null and .action_s == null)
	and ([.collateral[]] | add) == 0' "$R" >/dev/null
check "report-only still alerts" jq -e '.engine.alerts > 0 and .phases.measured.alerts > 0
	and .false_pages.non_paging_alerts > 0' "$R" >/dev/null
check "report-only alerts on every attack, with a would-be action" jq -e 'all(.attacks.list[]; .first_alert_s != null)
	and all(.attacks.by_type[]; .alerted == .k)
	and all(.false_pages.samples[]; .page == false and .action == "none" and .would != "none")' "$R" >/dev/null
check "report-only: the attacker got the cables" jq -e '[.attacks.list[] | select(.type == "STOLEN-BULK")
	| .obtained_total] | min > 100' "$R" >/dev/null

# ---- 4. the defaults pass --check with all types; a drip-friendly config fails ----
"$SCN" "${COMMON[@]}" --check --json "$T/d.json" >"$T/d.out" 2>&1
rc=$?
check "defaults --check, all types, exits 0 (got $rc: $(grep '^check' "$T/d.out"))" [ "$rc" = 0 ]
check "defaults: all five types paged in time" jq -e '.check.passed == true and (.attacks.by_type | length) == 5
	and all(.attacks.by_type[]; .paged_within_300s == .k and .contained_within_600s == .k)' "$T/d.json" >/dev/null
printf 'deep.max-hour = 10\n' >"$T/drip.conf"
"$SCN" "${COMMON[@]}" --types slow-drip --check --config "$T/drip.conf" --json "$T/f.json" >"$T/f.out" 2>&1
rc=$?
check "a drip-friendly config fails --check (got $rc)" [ "$rc" = 1 ]
check "... and says why" grep -q '^check: FAILED: .*SLOW-DRIP' "$T/f.out"
check "... in the json too" jq -e '.check.passed == false and (.check.why | test("SLOW-DRIP"))' "$T/f.json" >/dev/null

# ---- 5. bad usage ----
"$SCN" --frobnicate >/dev/null 2>"$T/e1"
check "unknown option exits 2" [ $? = 2 ]
check "unknown option named" grep -q "frobnicate" "$T/e1"
"$SCN" --days 0 >/dev/null 2>"$T/e2"
check "bad number exits 2" [ $? = 2 ]
"$SCN" --days 1 --config "$T/missing.conf" >/dev/null 2>"$T/e3"
check "missing config exits 2" [ $? = 2 ]
check "missing config named" grep -q "missing.conf" "$T/e3"
printf 'bulk.cap-hour = 400\nbulk.cap-hour = 0\n' >"$T/bad.conf"
"$SCN" --days 1 --config "$T/bad.conf" >/dev/null 2>"$T/e4"
check "refused config exits 2" [ $? = 2 ]
check "refused config names the line" grep -q "line 2" "$T/e4"
"$SCN" --rate no.such.rate=1 >/dev/null 2>"$T/e5"
check "unknown rate exits 2" [ $? = 2 ]
"$SCN" --help >"$T/h.out"
check "--help documents the rates" grep -q "refetch.deep" "$T/h.out"

t_done it_scenario
