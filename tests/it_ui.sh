#!/usr/bin/env bash
# it_ui.sh - `denpo ui` through the real programs: a switch, HQ and a post,
# one officer each, each with `denpo ui` on 127.0.0.1.
#   1. the local web server's rules, with curl (both builds): no session, a
#      spent or wrong token, another Host, another Origin, no CSRF header are
#      refused and change nothing; the security headers are on every answer;
#      nothing read through the UI reaches the device's disk;
#   2. in headless Chromium (tests/browser/ui.mjs; the normal build): a FLASH
#      composed in the UI rings in the recipient's UI, is read, acknowledged,
#      and the receipt shows in the sender's; XSS, CSP, CSRF; axe-core; the
#      switch stopped and started again: offline reading and the outbox.
. "$(dirname "$0")/lib.sh"
need_programs it_ui "$DENPOD" "$DENPO"
need_tools it_ui curl jq
t_workdir
export DENPO_SCRYPT_LOGN=10 DENPO_PASSPHRASE="ui test passphrase" DENPOD_DATA="$T/sw"
unset DENPO_HOME
UIPIDS=()
trap 'for p in "${UIPIDS[@]}"; do kill "$p" 2>/dev/null; done; [ -s "$T/switch2.pid" ] && kill "$(cat "$T/switch2.pid")"; t_cleanup' EXIT
{
	switch_init && D post add HQ --hq && D post add WASHINGTON &&
		D officer add sato.k --post HQ --clearance "TOP SECRET" --roles POL &&
		D officer add tanaka.h --post WASHINGTON --clearance SECRET --roles POL
} >/dev/null || no "switch setup"
enrol_devices sato.k:HQ tanaka.h:WASHINGTON
start_switch || no "denpod did not start"

# ui OFFICER: start its `denpo ui`; its one-time link in $UI_URL, its pid appended to UIPIDS
ui() {
	local o=$1 out="$T/ui-$1.out"
	: >"$out"
	"$DENPO" --home "$T/$o" ui --no-open >"$out" 2>"$T/ui-$o.err" &
	UIPIDS+=($!)
	UI_URL=
	for _ in $(seq 100); do
		UI_URL=$(sed -n 's/^denpo ui: open //p' "$out")
		[ -n "$UI_URL" ] && break
		sleep 0.1
	done
}
is_link() { [[ "$1" =~ ^http://127\.0\.0\.1:[0-9]+/login\?token=[0-9a-f]{64}$ ]]; }
# ui_stop: SIGTERM to the last one started; its exit status (0: a clean stop)
ui_stop() {
	local p=${UIPIDS[-1]} rc
	unset 'UIPIDS[-1]'
	kill "$p"
	wait "$p"
	rc=$?
	[ "$rc" = 0 ] || cat "$T"/ui-*.err >&2
	return $rc
}

SECRET_TEXT="東京発の機密本文。ワシントンへ。"
printf '1. (S) %s\n' "$SECRET_TEXT" >"$T/body"
dp sato.k send --body "$T/body" --class SECRET --prec IMMEDIATE --to WASHINGTON --tags PREL \
	--subject "curl test" >/dev/null 2>"$T/send.err" || no "send by the CLI: $(cat "$T/send.err")"

# ---- 1. the server's rules, with curl ----
ui tanaka.h
URL=$UI_URL
check "denpo ui prints a one-time link on 127.0.0.1 ($URL)" is_link "$URL"
BASE=${URL%%/login*}
HP=${BASE#http://}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "no session: the API answers 401" [ "$(code "$BASE/api/inbox")" = 401 ]
check "no session: the page answers 401" [ "$(code "$BASE/")" = 401 ]
check "a wrong token opens nothing" [ "$(code "$BASE/login?token=$(printf '%064d' 0)")" = 403 ]
H=$(curl -s -D - -o /dev/null -c "$T/cj" "$URL")
check "the link signs in (200, a page that moves on to /)" grep -q "^HTTP/1.1 200" <<<"$H"
check "the session cookie is HttpOnly and SameSite=Strict, with no expiry" \
	grep -qE "^Set-Cookie: denpo_ui=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict"$'\r'"?$" <<<"$H"
check "the link works once" [ "$(code "$URL")" = 403 ]
check "with the session: the inbox" [ "$(curl -s -b "$T/cj" "$BASE/api/inbox" | jq '.cables | length')" = 1 ]
check "another Host (DNS rebinding) is refused" [ "$(code -b "$T/cj" -H "Host: attacker.example:${HP#*:}" "$BASE/api/inbox")" = 421 ]
H=$(curl -s -D - -o /dev/null -b "$T/cj" "$BASE/")
for h in "Content-Security-Policy: default-src 'none'; script-src 'self'" "X-Content-Type-Options: nosniff" \
	"Cache-Control: no-store" "X-Frame-Options: DENY" "Referrer-Policy: no-referrer"; do
	check "every answer has $h" grep -qF "$h" <<<"$H"
done
check "the CSP allows no inline script" not grep -qi "unsafe-inline\|unsafe-eval" <<<"$H"
ID=$(curl -s -b "$T/cj" "$BASE/api/inbox" | jq -r '.cables[0].cable_id')
CSRF=$(curl -s -b "$T/cj" "$BASE/api/session" | jq -r .csrf)
check "a change without the CSRF header is refused" \
	[ "$(code -X POST -b "$T/cj" -H "Origin: $BASE" "$BASE/api/cables/$ID/ack")" = 403 ]
check "a change from another Origin is refused" \
	[ "$(code -X POST -b "$T/cj" -H "Origin: http://attacker.example" -H "X-Denpo-CSRF: $CSRF" "$BASE/api/cables/$ID/ack")" = 403 ]
check "a change sent by another site (Sec-Fetch-Site) is refused" \
	[ "$(code -X POST -b "$T/cj" -H "Origin: $BASE" -H "Sec-Fetch-Site: cross-site" -H "X-Denpo-CSRF: $CSRF" "$BASE/api/cables/$ID/ack")" = 403 ]
check "a change with no Origin is refused" \
	[ "$(code -X POST -b "$T/cj" -H "X-Denpo-CSRF: $CSRF" "$BASE/api/cables/$ID/ack")" = 403 ]
check "... and none of them acknowledged the cable" \
	[ "$(curl -s -b "$T/cj" "$BASE/api/inbox" | jq '.cables | length')" = 1 ]
J=$(curl -s -b "$T/cj" "$BASE/api/cables/$ID")
check "reading through the UI: the text, verified" \
	[ "$(jq -r '.verification.ok' <<<"$J")" = true ] && grep -qF "$SECRET_TEXT" <<<"$(jq -r .body <<<"$J")"
check "the answer never holds a key" not grep -qiE "AGE-SECRET-KEY|PRIVATE KEY|storage_key|\"fk\"" <<<"$J"
check "a path outside the API is not found" [ "$(code -b "$T/cj" "$BASE/../keystore.age")" != 200 ]
check "acknowledged with the session, Origin and CSRF header" \
	[ "$(curl -s -X POST -b "$T/cj" -H "Origin: $BASE" -H "X-Denpo-CSRF: $CSRF" "$BASE/api/cables/$ID/ack" | jq -r .cable_id)" = "$ID" ]
check "denpo ui stops cleanly on SIGTERM" ui_stop
check "no plaintext read through the UI is on the device's disk" not grep -rqF "$SECRET_TEXT" "$T/tanaka.h"
check "the session ended with the process" [ "$(code -b "$T/cj" "$BASE/api/inbox")" = 000 ]

# ---- 2. in the browser ----
if [[ "$BUILD" == *asan* ]]; then
	skip "the browser test runs in the normal build (it_ui's curl checks ran here)"
elif [ ! -x "${DENPO_CHROMIUM:-/usr/bin/chromium}" ] || [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
	skip "no Chromium or playwright-core (scripts/setup installs them)"
else
	ui sato.k
	SENDER_URL=$UI_URL
	# the recipient's `denpo ui` opens the browser as for an officer: xdg-open (here a stand-in
	# that writes down what it was given) of the page that forwards to the one-time link
	mkdir -p "$T/bin"
	printf '#!/bin/sh\nprintf %%s "$1" >"%s/xdg-open.arg"\n' "$T" >"$T/bin/xdg-open"
	chmod +x "$T/bin/xdg-open"
	PATH="$T/bin:$PATH" "$DENPO" --home "$T/tanaka.h" ui >"$T/ui-open.out" 2>"$T/ui-tanaka.h.err" &
	UIPIDS+=($!)
	for _ in $(seq 100); do [ -s "$T/xdg-open.arg" ] && break; sleep 0.1; done
	RECIPIENT_OPEN=$(cat "$T/xdg-open.arg" 2>/dev/null)
	check "denpo ui opens the browser on a file page, no token on a command line ($RECIPIENT_OPEN)" \
		[ "$RECIPIENT_OPEN" = "file://$T/tanaka.h/ui-open.html" ]
	check "that page is 0600" [ "$(stat -c %a "$T/tanaka.h/ui-open.html")" = 600 ]
	check "denpo ui says the browser was opened, not the link" not grep -q token= "$T/ui-open.out"
	SUBJECT='<img src=x onerror=alert(1)> 至急：会談日程の変更' \
		BODY_TEXT="1. (S) 本日の会談は十五時に変更された。" \
		SENDER_URL=$SENDER_URL RECIPIENT_OPEN=$RECIPIENT_OPEN EVIL_PORT=$(free_port) SHOTS=${DENPO_SCREENSHOTS:-} \
		STOP_SWITCH="kill -TERM $PID" \
		START_SWITCH="$(printf '%q' "$DENPOD") run --data $(printf '%q' "$T/sw") >>$(printf '%q' "$T/run.log") 2>&1 & echo \$! >$(printf '%q' "$T/switch2.pid")" \
		node "$ROOT/tests/browser/ui.mjs" >"$T/browser.out" 2>&1
	rc=$?
	T_PASS=$((T_PASS + $(grep -c '^ok: ' "$T/browser.out")))
	while read -r l; do no "browser: ${l#FAIL: }"; done < <(grep '^FAIL: ' "$T/browser.out")
	if [ "$rc" != 0 ] && ! grep -q '^FAIL: ' "$T/browser.out"; then
		no "the browser test did not finish: $(tail -n 20 "$T/browser.out")"
	fi
	grep -q '^ok: the FLASH is sent' "$T/browser.out" || no "the browser test sent nothing"
fi
t_done it_ui
