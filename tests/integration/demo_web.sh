#!/usr/bin/env bash
# make demo WEB=1 (scripts/demo.sh): it starts the server with its back
# office, the card and the terminal daemon with their pages, prints the
# three addresses and waits; each address answers (the two pages with the
# token in their address, the back office's login with the token the demo
# prints), and Ctrl-C stops every program it started and removes its
# folder. (terminal_web pays through the same pages by clicks.)
. "$(dirname "$0")/lib.sh"

mkdir -p "$T_DIR/tmp"
# As a terminal starts it: SIGINT not ignored (bash ignores it in a
# background job, and the demo's Ctrl-C trap would never run), and in a
# session of its own, so what it leaves behind can be counted by group.
TMPDIR=$T_DIR/tmp WEB=1 python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execv(sys.argv[1], sys.argv[1:])' \
	"$SC_TOP/scripts/demo.sh" "$SC_BUILD" >"$T_DIR/demo.out" 2>&1 &
DEMO=$!
T_PIDS+=("$DEMO")
demo_ready() { grep -q "Ctrl-C stops every program" "$T_DIR/demo.out" || ! kill -0 "$DEMO"; }
sc_wait_for 180 demo_ready
if ! grep -q "Ctrl-C stops every program" "$T_DIR/demo.out"; then
	t_fail "make demo WEB=1 prints its pages' addresses" "$(cat "$T_DIR/demo.out")"
	t_done; exit 1
fi
urls=$(grep -o 'http://127\.0\.0\.1:[0-9]*/[^ ]*' "$T_DIR/demo.out" | sed 's/\x1b\[[0-9;]*m//g')
TERM_URL=$(grep -m1 -A1 "merchant's terminal" "$T_DIR/demo.out" | grep -o 'http://[^ ]*' | sed 's/\x1b\[[0-9;]*m//g')
CARD_URL=$(grep -m1 -A1 "^   The card (" "$T_DIR/demo.out" | grep -o 'http://[^ ]*' | sed 's/\x1b\[[0-9;]*m//g')
ADMIN_URL=$(grep -m1 -A1 "back office" "$T_DIR/demo.out" | grep -o 'http://[^ ]*' | sed 's/\x1b\[[0-9;]*m//g')
ADMIN_TOKEN=$(sed -n 's/.*log in with the token \([0-9a-f]*\)).*/\1/p' "$T_DIR/demo.out")
t_eq "three addresses printed" 3 "$(wc -l <<<"$urls")"
for pair in "terminal:$TERM_URL" "card:$CARD_URL"; do
	name=${pair%%:*} url=${pair#*:}
	[[ $url == *"#token="[0-9a-f]* ]] && t_ok "the $name page's address carries its token" ||
		t_fail "the $name page's address carries its token" "$url"
	t_eq "the $name page answers (200, HTML)" "200 text/html" \
		"$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "${url%%#*}" | cut -d';' -f1)"
done
TOKEN=${TERM_URL##*#token=}
t_eq "the terminal's event stream opens" "event: terminal" \
	"$(curl -s -m 5 "${TERM_URL%%/#*}/events" | grep -m1 '^event:')"
t_eq "the back office's login takes the token the demo printed" 200 \
	"$(curl -s -o "$T_DIR/login.json" -w '%{http_code}' -H "Origin: ${ADMIN_URL%/}" \
		-H 'Content-Type: application/json' --data "{\"token\":\"$ADMIN_TOKEN\"}" \
		"${ADMIN_URL%/}/api/login")"
[ -n "$(jq -r .csrf "$T_DIR/login.json")" ] && t_ok "... and gives a session" ||
	t_fail "... and gives a session" "$(cat "$T_DIR/login.json")"

# Ctrl-C: every program stopped, the folder gone.
kill -INT "$DEMO"
wait "$DEMO"; rc=$?
t_eq "Ctrl-C ends the demo (130)" 130 "$rc"
left=$(ls "$T_DIR/tmp")
t_eq "... and removes its folder" "" "$left"
alive=$(pgrep -s "$DEMO" 2>/dev/null | wc -l)
t_eq "... and stops every program it started" 0 "$alive"
t_done
