#!/usr/bin/env bash
# The man pages (docs/man/): they render without a warning, cross-reference
# pages that exist, have ENVIRONMENT, EXIT STATUS and EXAMPLES, the exit
# statuses they give for usage and unusable files are the programs', and
# their EXAMPLES run exactly as written: every .EX block of
# sigcard-server(8), sigcard-card(1) and sigcard-terminal(1), in that
# order, as one script in one empty folder, with the programs on PATH. The
# card's holder (PIN and OK on its keypad) is played through the card's
# control socket, which the examples open.
. "$(dirname "$0")/lib.sh"
MAN=$SC_TOP/docs/man
PAGES=(sigcard-server.8 sigcard-card.1 sigcard-terminal.1)
t_eq "the pages" "$(printf '%s\n' "${PAGES[@]}" | sort)" "$(cd "$MAN" && ls | sort)"

for p in "${PAGES[@]}"; do
	t_eq "$p: groff -ww renders it without a warning" "" "$(groff -ww -man -z "$MAN/$p" 2>&1)"
	t_eq "$p: man --warnings renders it without a warning" "" \
		"$(MANWIDTH=80 man --warnings -l "$MAN/$p" 2>&1 >/dev/null)"
	t_eq "$p: ENVIRONMENT, EXIT STATUS, EXAMPLES" "3" \
		"$(grep -cE '^\.SH ("?)(ENVIRONMENT|EXIT STATUS|EXAMPLES)\1$' "$MAN/$p")"
	bad=$(grep -oE '^\.BR sigcard-[a-z]+ \([0-9]\)' "$MAN/$p" | while read -r _ name sec; do
		sec=${sec//[()]/}; [ -e "$MAN/$name.$sec" ] || echo "$name($sec)"; done)
	t_eq "$p: references pages that exist" "" "$bad"
done

# The exit statuses the pages give, where a command line alone reaches them.
B=$SC_BIN
status() { "$@" >/dev/null 2>&1 </dev/null; echo $?; }
t_eq "exit 2 on a usage error (card, server, terminal)" "2 2 2" \
	"$(status "$B/sigcard-card" --bogus) $(status "$B/sigcard-server" --bogus) $(status "$B/sigcard-terminal" --bogus)"
t_eq "exit 0 on --help (card, server, terminal)" "0 0 0" \
	"$(status "$B/sigcard-card" --help) $(status "$B/sigcard-server" --help) $(status "$B/sigcard-terminal" --help)"
t_eq "exit 1 on an unusable file (card, server, terminal)" "1 1 1" \
	"$(status "$B/sigcard-card" --flash "$T_DIR/none/card.img" --contact "$T_DIR/c.sock") $(
	  status "$B/sigcard-server" -D "$T_DIR/none" account show ALICE) $(
	  status "$B/sigcard-terminal" pay --daemon "unix:$T_DIR/none.sock" --amount 1 --currency EUR \
		--to SHOP --payee-name Shop)"

# EXAMPLES: the .EX blocks, roff escapes undone; any other escape is an
# error of the page.
examples() {
	awk '/^\.SH /{ on = ($0 ~ /^\.SH "?EXAMPLES"?$/) } on && /^\.EE/{ ex = 0 }
		on && ex && !/^\.\\"/{ print } on && /^\.EX/{ ex = 1 }' "$1" |
		sed -e 's/\\-/-/g' -e 's/\\e/\\/g'
}
W=$T_DIR/walk
mkdir -p "$W"
{
	echo 'set -e'
	for p in "${PAGES[@]}"; do echo "# --- $p"; examples "$MAN/$p"; done
} >"$T_DIR/examples.sh"
t_eq "the examples hold no roff escape left" "" \
	"$(grep -n '\\[^$]' "$T_DIR/examples.sh" | grep -v '\\$')"
t_check "every page has examples" bash -c "[ \$(grep -c '^sigcard-' '$T_DIR/examples.sh') -ge 10 ]"

# The holder: whenever the card shows a payment to review, PIN 2468 and OK.
cat >"$T_DIR/holder.py" <<'PY'
import json, os, socket, sys, time
path = sys.argv[1]
while not os.path.exists(path):
    time.sleep(0.05)
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rw")
def ask(req):
    f.write(json.dumps(req) + "\n"); f.flush()
    line = f.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)
while True:
    if ask({"cmd": "wait", "screen": "review", "timeout_ms": 600000}).get("ok"):
        print("holder:", ask({"cmd": "press", "keys": "2468K"}), flush=True)
PY
sc_bg holder python3 "$T_DIR/holder.py" "$W/control.sock"
(cd "$W" && PATH="$SC_BIN:$PATH" timeout 300 bash "$T_DIR/examples.sh") >"$T_DIR/examples.log" 2>&1
rc=$?
for f in server card terminal; do
	[ -s "$W/$f.pid" ] && T_PIDS+=("$(cat "$W/$f.pid")")
done
t_eq "the EXAMPLES run as written (exit status)" "0" "$rc"
[ "$rc" -eq 0 ] || t_fail "the EXAMPLES' output" "$(cat "$T_DIR/examples.log")" \
	"$(tail -n 5 "$W"/*.log 2>/dev/null)"
t_eq "the first payment's receipt" "result: OK" "$(grep '^result:' "$W/receipt.txt" 2>/dev/null)"
t_eq "both payments reached SHOP" "balance      13.84 EUR" \
	"$("$B/sigcard-server" -D "$W/issuer" account show SHOP 2>&1 | grep balance)"
t_done
