#!/usr/bin/env bash
# it_console.sh - `denpod console` through the real programs
# (docs/operations.md, "The console"): a switch with two posts, a DECOY
# officer's decoy, two console operators added with `denpod operator add`,
# the console beside `denpod run`.
#
# Every build (curl): no session -> 401 (and / leads to the login page),
# a wrong Host -> 421 (DNS rebinding), a wrong password or an unknown
# name -> 403 and said on stderr, the session's cookie without its key
# (X-Denpo-Key) -> 401, a POST from another Origin -> 403 and nothing
# changed, an act through the API (a device suspended and reinstated, the
# same log entries as the CLI's, by the operator logged in), the
# two-operator rule through the API (officer disable: the same operator
# cannot approve, a second one does), lockout after failed logins
# (logged; fresh names by the score do not undo it; failed logins of
# other names never stop an operator's right password), sessions ending
# when idle (the page's polling is no act) and when old (short limits:
# DENPO_TEST_CONSOLE_IDLE / _LIFETIME, seconds, for tests only), a
# password change and a removal ending open sessions.
#
# The normal build, when Chromium is installed: tests/browser/console.mjs
# in headless Chromium (operator A logs in, sees the decoy-touch alert
# appear with its explanation, undoes its step; asks to revoke a device,
# operator B approves in a second browser context; every view checked
# with axe-core), then the CLI checks that the device works again, the
# other is revoked, and the log holds each act by its operator.
# DENPO_SCREENSHOTS=DIR: the browser test saves the views there (docs/img/).
. "$(dirname "$0")/lib.sh"
need_programs it_console "$DENPOD" "$DENPO"
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="console test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME EDITOR VISUAL DENPO_TEST_CLOCK_OFFSET DENPOD_OPERATOR
CPID= LPID=
trap 'for p in $CPID $LPID; do kill "$p" 2>/dev/null; done; t_cleanup' EXIT
PWA="Tsuki-ga-kirei-4817" PWB="Sakura-fubuki-2936" PWB2="Yuki-no-hana-7720"
body() { printf '%s\n' "$@" >"$T/body"; }
send() { local h=$1; shift; dp "$h" send --body "$T/body" "$@" 2>"$T/send.err"; }
id_of() { D cable list | awk -v m="$1" '$1" "$2" "$3 == m {print $4}'; }
dev_of() { dp "$1" --json whoami | jq -r .device; }
wait_for() { for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done; return 1; }
# the log as JSON lines, one entry a line
entries() { D log show --json | jq -c '.entries[]'; }
logged() { entries | jq -e -s "map(select($1)) | length > 0" >/dev/null; }

# ---- the switch ----
{
	switch_init &&
		D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" &&
		D officer add decoy.s --post HQ --clearance "TOP SECRET" --roles DECOY &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET &&
		D officer add suzuki.a --post WASHINGTON --clearance SECRET &&
		D officer add temp.z --post HQ --clearance SECRET
} >"$T/init.out" || no "switch setup"
enrol_devices sato.k:HQ decoy.s:HQ tanaka.h:WASHINGTON suzuki.a:WASHINGTON

# ---- the console's operators ----
printf '%s\n' "$PWA" | D operator add ito.m --operator root >"$T/op.out" 2>&1 || no "operator add ito.m: $(cat "$T/op.out")"
printf '%s\n' "$PWB" | D operator add kato.y --operator root >>"$T/op.out" 2>&1 || no "operator add kato.y"
printf 'short\n' | D operator add weak.p --operator root 2>"$T/op.err"
check "a weak password is refused (exit 2)" [ $? = 2 ]
check "... saying why" grep -q "refused: The password is shorter than 12" "$T/op.err"
printf '%s\n' "$PWA" | D operator add ito.m --operator root 2>"$T/op.err"
check "an operator cannot be added twice" [ $? = 1 ]
check "operator list names both, no hash" [ "$(D operator list | tr '\n' ' ')" = "ito.m kato.y " ]
check "operator list --json" jq -e '.operators | map(.name) == ["ito.m","kato.y"] and (map(has("hash")) | any | not)' \
	<<<"$(D operator list --json)"
check "each addition is an admin entry by its operator" \
	[ "$(entries | jq -r 'select(.act == "OPERATOR-ADD") | .operator + ":" + .detail' | tr '\n' ' ')" = "root:ito.m root:kato.y " ]
check "the password is in no log entry" not grep -q "$PWA" <<<"$(D log show)"

# ---- traffic: a decoy, a FLASH nobody fetches, three cables WASHINGTON fetches ----
start_switch || no "denpod did not start"
body "1. (S) Draft position on the fisheries talks; do not circulate."
DW=$(send decoy.s --decoy --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL \
	--subject "fisheries position") || no "plant a decoy: $(cat "$T/send.err")"
DWID=$(id_of "$DW")
body "1. (S) Meeting moved to 0900."
send sato.k --class SECRET --prec FLASH --to WASHINGTON --tags PREL --subject "meeting moved" >/dev/null ||
	no "send the FLASH"
for i in 1 2 3; do
	body "$i. (C) Routine report $i."
	R=$(send sato.k --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ECON --subject "report $i") &&
		dp suzuki.a read "$(id_of "$R")" >/dev/null || no "routine cable $i"
done
SATO=$(dev_of sato.k) TAN=$(dev_of tanaka.h) SUZ=$(dev_of suzuki.a)

# ---- the console; its clock 20 minutes ahead, so the FLASH (10 min objective) is overdue ----
CPORT=$(free_port)
DENPO_TEST_CLOCK_OFFSET=1200 "$DENPOD" console --listen "$CPORT" >"$T/console.out" 2>"$T/console.err" &
CPID=$!
if ! wait_for grep -q "http://127.0.0.1:$CPORT/" "$T/console.out"; then
	no "denpod console did not start: $(head -c 300 "$T/console.err")"
	t_done it_console
	exit 1
fi
ok
check "console --help" bash -c "'$DENPOD' console --help | grep -q 'listen PORT'"
"$DENPOD" console --listen 0.0.0.0:8080 >/dev/null 2>"$T/listen.err"
check "--listen takes a port only: exit 2" [ $? = 2 ]
check "... saying the console listens on 127.0.0.1 only" grep -q "listens on 127.0.0.1 only" "$T/listen.err"
C="http://127.0.0.1:$CPORT"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
login() { # NAME PASSWORD JAR: the session's key (X-Denpo-Key), or nothing
	curl -s -c "$3" -H "Origin: $C" -H 'Content-Type: application/json' \
		-d "{\"user\":\"$1\",\"password\":\"$2\"}" "$C/login" | jq -r '.key // empty'
}
post() { # JAR KEY PATH [BODY] [ORIGIN]: the status
	curl -s -o "$T/post.out" -w '%{http_code}' -b "$1" -H "Origin: ${5:-$C}" -H "X-Denpo-Key: $2" \
		-H 'Content-Type: application/json' -d "${4:-{\}}" "$C$3"
}

# ---- security, with curl (every build) ----
check "no session: /api/alerts is 401" [ "$(code "$C/api/alerts")" = 401 ]
check "no session: / leads to the login page" \
	grep -qi '^location: /login.html' <<<"$(curl -s -D - -o /dev/null "$C/")"
check "the login page is served" grep -q 'Operator log in' <<<"$(curl -s "$C/login.html")"
check "wrong Host (DNS rebinding): 421" [ "$(code -H "Host: evil.example:$CPORT" "$C/login.html")" = 421 ]
check "wrong password: 403" [ "$(code -H "Origin: $C" -d '{"user":"ito.m","password":"not-the-password"}' "$C/login")" = 403 ]
check "... said on stderr" grep -q "failed login as ito.m (1 in 15 min)" "$T/console.err"
check "unknown operator: 403" [ "$(code -H "Origin: $C" -d "{\"user\":\"nobody\",\"password\":\"$PWA\"}" "$C/login")" = 403 ]
check "a login from another Origin: 403" \
	[ "$(code -H "Origin: http://evil.example" -d "{\"user\":\"ito.m\",\"password\":\"$PWA\"}" "$C/login")" = 403 ]
KA=$(login ito.m "$PWA" "$T/a.jar")
check "ito.m logs in" [ -n "$KA" ]
check "the cookie alone (no X-Denpo-Key): /api/alerts is 401" [ "$(code -b "$T/a.jar" "$C/api/alerts")" = 401 ]
check "... nor with another key: 401" [ "$(code -b "$T/a.jar" -H "X-Denpo-Key: ${KA//?/0}" "$C/api/alerts")" = 401 ]
check "with the session: /api/alerts is 200" [ "$(code -b "$T/a.jar" -H "X-Denpo-Key: $KA" "$C/api/alerts")" = 200 ]
check "the session's user" [ "$(curl -s -b "$T/a.jar" -H "X-Denpo-Key: $KA" "$C/api/me" | jq -r .user)" = ito.m ]
check "a POST from another Origin: 403" [ "$(post "$T/a.jar" "$KA" "/api/devices/$SATO/suspend" '{}' http://evil.example)" = 403 ]
check "a POST without the session's key: 401" [ "$(post "$T/a.jar" wrong "/api/devices/$SATO/suspend")" = 401 ]
check "... and nothing changed" grep -q active <<<"$(D device list | grep "$SATO")"
check "a reason that is not log text: 400" [ "$(post "$T/a.jar" "$KA" "/api/devices/$SATO/suspend" '{"reason":" x"}')" = 400 ]
check "suspend through the console" [ "$(post "$T/a.jar" "$KA" "/api/devices/$SATO/suspend" '{"reason":"console test"}')" = 200 ]
check "... the device is suspended (device list)" grep -q suspended <<<"$(D device list | grep "$SATO")"
check "... logged as the CLI logs it, by ito.m" \
	logged ".event == \"device-suspended\" and .device == \"$SATO\" and .operator == \"ito.m\" and .detail == \"console test\""
check "reinstate through the console" [ "$(post "$T/a.jar" "$KA" "/api/devices/${SATO:0:12}/reinstate")" = 200 ]
check "... the device works again" dp sato.k inbox
check "an unknown act: 404" [ "$(post "$T/a.jar" "$KA" "/api/devices/$SATO/explode")" = 404 ]
check "no such device: 404, saying so" [ "$(post "$T/a.jar" "$KA" "/api/devices/abcdef0123/suspend")" = 404 ]
# two operators through the API: officer disable
check "disable temp.z: asked (200, not done)" [ "$(post "$T/a.jar" "$KA" /api/officers/temp.z/disable)" = 200 ]
check "... not done yet" jq -e '.done == false' "$T/post.out"
AP=$(curl -s -b "$T/a.jar" -H "X-Denpo-Key: $KA" "$C/api/approvals" | jq -r '.approvals[] | select(.target == "temp.z") | .id')
check "the request waits for a second operator ($AP)" [ -n "$AP" ]
check "the same operator cannot approve it: 403" [ "$(post "$T/a.jar" "$KA" "/api/approvals/$AP/approve")" = 403 ]
check "... told why" jq -e '.message | test("another operator")' "$T/post.out"
KB=$(login kato.y "$PWB" "$T/b.jar")
check "kato.y logs in" [ -n "$KB" ]
check "kato.y approves: 200, done" [ "$(post "$T/b.jar" "$KB" "/api/approvals/$AP/approve")" = 200 ]
check "... done" jq -e '.done == true' "$T/post.out"
check "... temp.z is disabled (officer list)" jq -e '.officers[] | select(.handle == "temp.z") | .status == "suspended"' \
	<<<"$(D officer list --json)"
check "log: OFFICER-DISABLE-REQUESTED by ito.m, -APPROVED by kato.y, OFFICER-DISABLE by kato.y" \
	[ "$(entries | jq -r 'select(.act // "" | test("OFFICER-DISABLE")) | .act + ":" + .operator' | tr '\n' ' ')" = \
	  "OFFICER-DISABLE-REQUESTED:ito.m OFFICER-DISABLE-APPROVED:kato.y OFFICER-DISABLE:kato.y " ]
check "log: CONSOLE-LOGIN of each" \
	[ "$(entries | jq -r 'select(.act == "CONSOLE-LOGIN") | .operator' | sort -u | tr '\n' ' ')" = "ito.m kato.y " ]

# ---- in the browser (the normal build) ----
BROWSER=
if [[ "$BUILD" == *asan* ]]; then
	skip "the browser test runs in the normal build only (Chromium under ASan is not what is tested)"
elif [ ! -x "${DENPO_CHROMIUM:-/usr/bin/chromium}" ] || ! command -v node >/dev/null ||
	[ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
	skip "Chromium, node or tests/browser/node_modules missing (scripts/setup installs them)"
else
	BROWSER=1
	# the decoy touch, run by the browser test once the console shows its alerts
	printf '#!/bin/sh\n%q --home %q read %q >/dev/null 2>&1; exit 0\n' "$DENPO" "$T/tanaka.h" "$DWID" >"$T/touch.sh"
	CONSOLE_URL="$C" OP_A=ito.m PW_A="$PWA" OP_B=kato.y PW_B="$PWB" TOUCH="$T/touch.sh" \
		TAN="$TAN" SUZ="$SUZ" node "$ROOT/tests/browser/console.mjs" >"$T/browser.out" 2>&1
	rc=$?
	cat "$T/browser.out"
	T_PASS=$((T_PASS + $(grep -c '^ok:' "$T/browser.out")))
	nf=$(grep -c '^FAIL:' "$T/browser.out")
	T_FAIL=$((T_FAIL + nf))
	[ "$rc" = 0 ] || [ "$nf" -gt 0 ] || no "console.mjs exited $rc"
fi
if [ -n "$BROWSER" ]; then
	check "the decoy touch was contained, then undone: tanaka.h's device is active" \
		grep -q active <<<"$(D device list | grep "$TAN")"
	check "... and its next request works" dp tanaka.h inbox
	check "log: the alert, DECOY, for tanaka.h's device" logged ".event == \"alert\" and .rule == \"DECOY\" and .device == \"$TAN\""
	check "log: UNDO by ito.m" logged ".event == \"containment\" and .act == \"UNDO\" and .operator == \"ito.m\" and .device == \"$TAN\""
	check "log: device-reinstated by ito.m" logged ".event == \"device-reinstated\" and .operator == \"ito.m\" and .device == \"$TAN\""
	check "the revocation asked by ito.m and approved by kato.y: suzuki.a's device is revoked" \
		grep -q revoked <<<"$(D device list | grep "$SUZ")"
	check "log: DEVICE-REVOKE-REQUESTED by ito.m, -APPROVED by kato.y, device-revoked by kato.y" \
		[ "$(entries | jq -r "select((.act // \"\" | test(\"DEVICE-REVOKE\")) or (.event == \"device-revoked\" and .device == \"$SUZ\")) | (.act // .event) + \":\" + .operator" | tr '\n' ' ')" = \
		  "DEVICE-REVOKE-REQUESTED:ito.m DEVICE-REVOKE-APPROVED:kato.y device-revoked:kato.y " ]
	check "... suzuki.a's device is refused" not dp suzuki.a inbox
fi

# ---- lockout: failed logins of one name stop its password being checked ----
# (a second console, on the same store: its counts of failed logins start afresh; its session
# limits short, for the test: 2 s without an act, 5 s in all)
LPORT=$(free_port)
DENPO_TEST_CONSOLE_IDLE=2 DENPO_TEST_CONSOLE_LIFETIME=5 \
	"$DENPOD" console --listen "$LPORT" >"$T/console2.out" 2>"$T/console2.err" &
LPID=$!
wait_for grep -q "http://127.0.0.1:$LPORT/" "$T/console2.out" || no "a second console did not start"
L="http://127.0.0.1:$LPORT"
try() { code -H "Origin: $L" -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$L/login"; } # NAME PASSWORD: the status
# the session's limits: the page's polling is no act; only acts and navigation (X-Denpo-Activity)
KL=$(curl -s -c "$T/l.jar" -H "Origin: $L" -d "{\"user\":\"ito.m\",\"password\":\"$PWA\"}" "$L/login" | jq -r '.key // empty')
sleep 0.5
check "a session polled: 200" [ "$(code -b "$T/l.jar" -H "X-Denpo-Key: $KL" "$L/api/alerts")" = 200 ]
sleep 2
check "... polled only, it ends after the idle limit: 401" [ "$(code -b "$T/l.jar" -H "X-Denpo-Key: $KL" "$L/api/alerts")" = 401 ]
check "... said" grep -q "ito.m's session ended: the session was idle too long" "$T/console2.err"
KL=$(curl -s -c "$T/l.jar" -H "Origin: $L" -d "{\"user\":\"ito.m\",\"password\":\"$PWA\"}" "$L/login" | jq -r '.key // empty')
ACTS=
for i in $(seq 12); do
	sleep 0.5
	ACTS+="$(code -b "$T/l.jar" -H "X-Denpo-Key: $KL" -H 'X-Denpo-Activity: 1' "$L/api/alerts") "
	[ "$i" = 5 ] && ACTS+="poll:$(code -b "$T/l.jar" -H "X-Denpo-Key: $KL" "$L/api/alerts") "
done
check "acts keep a session past the idle limit (a poll at 2.5 s is 200), not past its lifetime ($ACTS)" \
	grep -Eq '^200 200 200 200 200 poll:200 (200 )*401 (401 )*$' <<<"$ACTS"
check "... said" grep -q "ito.m's session ended: the session is older than the console allows" "$T/console2.err"
for i in 1 2 3 4 5; do
	try kato.y "guess-$i" >/dev/null
done
check "five failures lock the name (said)" grep -q "kato.y: 5 failed console logins in 15 min: locked for 60 s" "$T/console2.err"
check "... logged (CONSOLE-LOCKOUT)" logged '.act == "CONSOLE-LOCKOUT" and .operator == "kato.y"'
check "... the right password is refused meanwhile: 429, wait" [ "$(try kato.y "$PWB")" = 429 ]
# anyone on the host can fail logins: past the cap of 10 in the last 60 s, an operator still
# gets in.  The window slides, so a burst across the clock's minute counts whole; only a burst
# slower than 60 s (15 Argon2id hashes on a very loaded machine) is tried once more.
for burst in 1 2; do
	s0=$(date +%s)
	for i in $(seq 15); do try "guess$RANDOM$i" "guess-$i" >/dev/null; done
	OPEN=$(try ito.m "$PWA")
	UNCHECKED=$(try 'no such/name' x)
	[ $(($(date +%s) - s0)) -ge 55 ] || break
done
check "15 failed logins of fresh names in a minute: said" grep -q "more than 10 failed logins in the last minute" "$T/console2.err"
check "... ito.m's right password still logs in: 200" [ "$OPEN" = 200 ]
check "... a name that cannot be an operator's is refused unchecked: 429 (burst $burst)" [ "$UNCHECKED" = 429 ]
# fresh names by the score cannot push the locked name out of the console's memory
for i in $(seq 70); do try "fresh$RANDOM$i" "guess-$i" >/dev/null; done
N=$(wc -l <"$T/console2.err")
check "after 70 logins of fresh names, kato.y's right password is still refused: 429" [ "$(try kato.y "$PWB")" = 429 ]
check "... because kato.y is locked" grep -q "login as kato.y refused unchecked: locked after failed logins" \
	<<<"$(tail -n +$((N + 1)) "$T/console2.err")"
kill -TERM "$LPID"
wait "$LPID"
LPID=

# ---- sessions end with a password change and a removal ----
printf '%s\n' "$PWB2" | D operator passwd kato.y --operator ito.m >/dev/null || no "operator passwd"
check "a new password ends kato.y's session: 401" [ "$(code -b "$T/b.jar" -H "X-Denpo-Key: $KB" "$C/api/alerts")" = 401 ]
check "ito.m's session goes on" [ "$(code -b "$T/a.jar" -H "X-Denpo-Key: $KA" "$C/api/alerts")" = 200 ]
D operator remove ito.m --operator kato.y >/dev/null || no "operator remove"
check "removal ends ito.m's session: 401" [ "$(code -b "$T/a.jar" -H "X-Denpo-Key: $KA" "$C/api/alerts")" = 401 ]
check "log: OPERATOR-PASSWD and OPERATOR-REMOVE" \
	[ "$(entries | jq -r 'select(.act == "OPERATOR-PASSWD" or .act == "OPERATOR-REMOVE") | .act + ":" + .detail + ":" + .operator' | tr '\n' ' ')" = \
	  "OPERATOR-PASSWD:kato.y:ito.m OPERATOR-REMOVE:ito.m:kato.y " ]
check "removing an unknown operator: exit 1" not D operator remove nobody --operator kato.y

kill -TERM "$CPID"
wait "$CPID"
check "the console stops on SIGTERM (exit 0)" [ $? = 0 ]
CPID= LPID=
check "no password reached the consoles' output" \
	not grep -q -e "$PWA" -e "$PWB" "$T/console.out" "$T/console.err" "$T/console2.out" "$T/console2.err"
t_done it_console
