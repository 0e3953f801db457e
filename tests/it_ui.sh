#!/usr/bin/env bash
# it_ui.sh - `denpo ui` through the real programs: a switch, HQ and a post,
# one officer each, each with `denpo ui` on 127.0.0.1.
#   1. the local web server's rules, with curl (both builds): no session, a
#      spent or wrong token, another Host, another Origin, the cookie without the
#      session's key are
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
# the ministry's own markings, configured once on the switch: the UI's banners show them as the CLI's do
printf 'marking_secret = 極秘\nmarking_confidential = 秘\n' >>"$T/sw/denpod.conf"
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
H=$(curl -s -D - -o "$T/signin.html" -c "$T/cj" "$URL")
check "the link signs in (200, a page that keeps the session's key and moves on to /)" grep -q "^HTTP/1.1 200" <<<"$H"
KEY=$(sed -n 's/.*<meta name="denpo-key" content="\([0-9a-f]\{64\}\)">.*/\1/p' "$T/signin.html")
check "the page holds the session's key" [ ${#KEY} = 64 ]
K=(-H "X-Denpo-Key: $KEY")
check "the session cookie is HttpOnly and SameSite=Strict, with no expiry" \
	grep -qE "^Set-Cookie: denpo_ui=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict"$'\r'"?$" <<<"$H"
check "the link works once" [ "$(code "$URL")" = 403 ]
check "the session cookie alone opens nothing in the API (a cookie of 127.0.0.1 reaches every port)" \
	[ "$(code -b "$T/cj" "$BASE/api/inbox")" = 401 ]
check "... nor a wrong key" [ "$(code -b "$T/cj" -H "X-Denpo-Key: $(printf '%064d' 0)" "$BASE/api/inbox")" = 401 ]
check "... but it opens the page (which holds no data)" [ "$(code -b "$T/cj" "$BASE/")" = 200 ]
check "with the session and its key: the inbox" [ "$(curl -s -b "$T/cj" "${K[@]}" "$BASE/api/inbox" | jq '.cables | length')" = 1 ]
check "HEAD of a link spends nothing" [ "$(curl -s -o /dev/null -w '%{http_code}' -I "$URL")" = 405 ]
check "another Host (DNS rebinding) is refused" [ "$(code -b "$T/cj" "${K[@]}" -H "Host: attacker.example:${HP#*:}" "$BASE/api/inbox")" = 421 ]
H=$(curl -s -D - -o /dev/null -b "$T/cj" "$BASE/")
for h in "Content-Security-Policy: default-src 'none'; script-src 'self'" "X-Content-Type-Options: nosniff" \
	"Cache-Control: no-store" "X-Frame-Options: DENY" "Referrer-Policy: no-referrer"; do
	check "every answer has $h" grep -qF "$h" <<<"$H"
done
check "the CSP allows no inline script" not grep -qi "unsafe-inline\|unsafe-eval" <<<"$H"
ID=$(curl -s -b "$T/cj" "${K[@]}" "$BASE/api/inbox" | jq -r '.cables[0].cable_id')
check "a change without the key is refused" \
	[ "$(code -X POST -b "$T/cj" -H "Origin: $BASE" "$BASE/api/cables/$ID/ack")" = 401 ]
check "a change from another Origin is refused" \
	[ "$(code -X POST -b "$T/cj" -H "Origin: http://attacker.example" "${K[@]}" "$BASE/api/cables/$ID/ack")" = 403 ]
check "a change sent by another site (Sec-Fetch-Site) is refused" \
	[ "$(code -X POST -b "$T/cj" -H "Origin: $BASE" -H "Sec-Fetch-Site: cross-site" "${K[@]}" "$BASE/api/cables/$ID/ack")" = 403 ]
check "a change with no Origin is refused" \
	[ "$(code -X POST -b "$T/cj" "${K[@]}" "$BASE/api/cables/$ID/ack")" = 403 ]
check "... and none of them acknowledged the cable" \
	[ "$(curl -s -b "$T/cj" "${K[@]}" "$BASE/api/inbox" | jq '.cables | length')" = 1 ]
J=$(curl -s -b "$T/cj" "${K[@]}" "$BASE/api/cables/$ID")
check "the UI's banner is the CLI's: the ministry's marking beside the signed level" \
	[ "$(jq -r .banner <<<"$J")" = "極秘 (SECRET)" ] && dp tanaka.h read "$ID" 2>/dev/null | head -1 | grep -qxF "極秘 (SECRET)"
check "reading through the UI: the text, verified" \
	[ "$(jq -r '.verification.ok' <<<"$J")" = true ] && grep -qF "$SECRET_TEXT" <<<"$(jq -r .body <<<"$J")"
check "the answer never holds a key" not grep -qiE "AGE-SECRET-KEY|PRIVATE KEY|storage_key|\"fk\"" <<<"$J"
check "a path with a way up is refused (400)" [ "$(code --path-as-is -b "$T/cj" "${K[@]}" "$BASE/api/../keystore.age")" = 400 ]
check "... encoded too" [ "$(code --path-as-is -b "$T/cj" "${K[@]}" "$BASE/api/%2e%2e/keystore.age")" = 400 ]
check "acknowledged with the session, its key and Origin" \
	[ "$(curl -s -X POST -b "$T/cj" -H "Origin: $BASE" "${K[@]}" "$BASE/api/cables/$ID/ack" | jq -r .cable_id)" = "$ID" ]
# search: a word at the end of a long text is found, with the text around it
{ printf '1. (C) '; head -c 300000 /dev/zero | tr '\0' 'x'; printf ' 最後の語 ZEBRAWORD 終わり\n'; } >"$T/long"
dp sato.k send --body "$T/long" --class CONFIDENTIAL --prec ROUTINE --to WASHINGTON --tags ADMN \
	--subject "long text" >/dev/null 2>"$T/send.err" || no "send the long cable: $(cat "$T/send.err")"
ID2=$(curl -s -b "$T/cj" "${K[@]}" "$BASE/api/inbox" | jq -r '.cables[] | select(.precedence == "ROUTINE") | .cable_id')
curl -s -o /dev/null -b "$T/cj" "${K[@]}" "$BASE/api/cables/$ID2"
S=$(curl -s --max-time 60 -X POST -b "$T/cj" -H "Origin: $BASE" "${K[@]}" --data '{"q":"zebraword"}' "$BASE/api/search")
check "search finds a word at the end of 300 kB of text, case folded, with the text around it" \
	[ "$(jq -r '.hits[0].cable_id' <<<"$S")" = "$ID2" ] && jq -r '.hits[0].snippet' <<<"$S" | grep -qF "最後の語 ZEBRAWORD 終わり"
check "denpo ui stops cleanly on SIGTERM" ui_stop
check "no plaintext read through the UI is on the device's disk" not grep -rqF "$SECRET_TEXT" "$T/tanaka.h"
check "the session ended with the process" [ "$(code -b "$T/cj" "${K[@]}" "$BASE/api/inbox")" = 000 ]

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
