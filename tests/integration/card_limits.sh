#!/usr/bin/env bash
# sigcard-card's slots against readers that hold them (issue 13, item 6):
# the control socket's status reports a reader only in a slot that was
# opened and has one, and a reader idle past --reader-idle-timeout is
# dropped, freeing the slot for the next.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/card_helpers.bash"

"$CARD" --flash "$T_DIR/c.flash" --reader-idle-timeout 0 >/dev/null 2>&1
t_eq "--reader-idle-timeout 0 is a usage error" 2 $?
t_check "--help documents --reader-idle-timeout" bash -c "'$CARD' --help | grep -q -- --reader-idle-timeout"

CTL=$T_DIR/ctl.sock
card_start card --flash "$T_DIR/c.flash" --contact "$T_DIR/contact.sock" --control "$CTL" \
	--reader-idle-timeout 8 || t_fail "card started" "$(cat "$T_DIR/card.log")"
r=$(ctl "$CTL" '{"cmd":"status"}')
t_eq "status: no reader in the contact slot, contactless never opened" "false false" \
	"$(jq -r '"\(.contact) \(.contactless)"' <<<"$r")"

# A reader that connects and then sends nothing.
coproc READER { python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print("connected", flush=True)
s.settimeout(30)
try:
    print("closed" if s.recv(1) == b"" else "data", flush=True)
except socket.timeout:
    print("still open", flush=True)
' "$T_DIR/contact.sock"; }
read -r -u "${READER[0]}" _
sc_wait_for 10 grep -q "contact: reader connected" "$T_DIR/card.log"
r=$(ctl "$CTL" '{"cmd":"status"}')
t_eq "status: a reader in the contact slot" "true false" "$(jq -r '"\(.contact) \(.contactless)"' <<<"$r")"
read -r -u "${READER[0]}" GOT
t_eq "the idle reader is dropped by the card" closed "$GOT"
t_check "the log says why" grep -q "contact: peer gone (idle past --reader-idle-timeout)" "$T_DIR/card.log"
r=$(ctl "$CTL" '{"cmd":"status"}')
t_eq "status: the slot is free again" "false false" "$(jq -r '"\(.contact) \(.contactless)"' <<<"$r")"
t_check "the next reader is served (SELECT)" \
	bash -c "'$FC' '$T_DIR/contact.sock' on 00A4040009F05349474341524401 | grep -qi '9000$'"
t_done
