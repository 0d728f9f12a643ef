#!/usr/bin/env bash
# The one listen policy (hostlib/sock.h), as each program meets it: a path
# that is not a socket is refused and kept (the terminal daemon deleted a
# regular file there), a live program's socket is refused and keeps
# working, a stale one is replaced, and the socket has its mode.
. "$(dirname "$0")/lib.sh"
CARD=$SC_BIN/sigcard-card
SRV=$SC_BIN/sigcard-server
TERMINAL=$SC_BIN/sigcard-terminal
D=$T_DIR/issuer

# refused_kept NAME FILE CMD...: CMD exits non-zero saying "not a socket",
# and FILE still holds "keep". timeout only bounds a program that wrongly
# starts serving.
refused_kept() {
	local name=$1 file=$2 err rc; shift 2
	printf 'keep\n' >"$file"
	err=$(timeout 20 "$@" 2>&1); rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [[ $err == *"not a socket"* ]] && [ "$(cat "$file" 2>/dev/null)" = keep ]; then
		t_ok "$name"
	else
		t_fail "$name" "rc=$rc" "$err" "$(ls -l "$file" 2>&1)"
	fi
}

refused_kept "card: a regular file at --contact refused and kept" "$T_DIR/c.sock" \
	"$CARD" -d --no-tty --flash "$T_DIR/card.flash" --contact "$T_DIR/c.sock"
refused_kept "card: a regular file at --control refused and kept" "$T_DIR/ctl.sock" \
	"$CARD" -d --no-tty --flash "$T_DIR/card.flash" --control "$T_DIR/ctl.sock"
"$SRV" -D "$D" init >/dev/null 2>&1 && "$SRV" -D "$D" key show >"$T_DIR/receipt.key" || t_fail "server init"
refused_kept "server: a regular file at --unix refused and kept" "$T_DIR/submit.sock" \
	"$SRV" -D "$D" -d --listen none --http none --unix "$T_DIR/submit.sock"
refused_kept "terminal daemon: a regular file at --socket refused and kept" "$T_DIR/term.sock" \
	"$TERMINAL" daemon --socket "$T_DIR/term.sock" -d --card "unix:$T_DIR/c.sock" --server "unix:$T_DIR/submit.sock" \
	--terminal-id T1 --receipt-key "$T_DIR/receipt.key" --camera "file:$T_DIR/screen.png"

# A live server's socket: a second server (on a ledger of its own, since one
# on the same ledger stops earlier, at the ledger's lock) is refused, the
# first serves on.
D2=$T_DIR/issuer2
"$SRV" -D "$D2" init >/dev/null 2>&1 || t_fail "second server init"
rm -f "$T_DIR/submit.sock"
sc_bg server "$SRV" -D "$D" -d --listen none --http none --unix "$T_DIR/submit.sock"
sc_wait_sock "$T_DIR/submit.sock" 10 || t_fail "server started" "$(cat "$T_DIR/server.log")"
t_eq "server: the socket is 0660" 660 "$(stat -c %a "$T_DIR/submit.sock")"
err=$(timeout 20 "$SRV" -D "$D2" -d --listen none --http none --unix "$T_DIR/submit.sock" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [[ $err == *"another program is listening there"* ]]; then
	t_ok "server: a second server on a live socket refused"
else t_fail "server: a second server on a live socket refused" "rc=$rc" "$err"; fi
t_check "server: the first one still answers on it" bash -c "python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' '$T_DIR/submit.sock'"

# A stale socket (its card was killed) is replaced.
rm -f "$T_DIR/c.sock"
sc_bg card1 "$CARD" -d --no-tty --flash "$T_DIR/card.flash" --contact "$T_DIR/c.sock"
sc_wait_sock "$T_DIR/c.sock" 10 || t_fail "card started" "$(cat "$T_DIR/card1.log")"
t_eq "card: the slot socket is 0600" 600 "$(stat -c %a "$T_DIR/c.sock")"
kill -9 "$SC_LAST_PID"; wait "$SC_LAST_PID" 2>/dev/null
[ -S "$T_DIR/c.sock" ] && t_ok "card: a killed card leaves its socket" || t_fail "card: a killed card leaves its socket"
sc_bg card2 "$CARD" -d --no-tty --flash "$T_DIR/card.flash" --contact "$T_DIR/c.sock"
if sc_wait_for 10 grep -q "card .* up" "$T_DIR/card2.log"; then t_ok "card: the stale socket is replaced"
else t_fail "card: the stale socket is replaced" "$(cat "$T_DIR/card2.log")"; fi
t_done
