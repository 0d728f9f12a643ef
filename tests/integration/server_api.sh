#!/usr/bin/env bash
# sigcard-server's HTTP API (issue 17, item 3): every error, libevent's
# own included, is the JSON object {"error": {"status", "message"}}; the
# list endpoints page with cursors; times are RFC 3339; and the OpenAPI
# document served at /v1/openapi.json is docs/openapi.json, is itself
# valid, and describes each real answer (tests/tools/openapi_check.py).
. "$(dirname "$0")/lib.sh"
SRV=$SC_BIN/sigcard-server
CLI=$SC_BUILD/tests/tools/srvclient
D=$T_DIR/issuer
S() { "$SRV" -D "$D" "$@"; }

S init >/dev/null 2>&1
S account create ALICE --currency EUR --balance 100.00 >/dev/null
S account create BOB --currency EUR >/dev/null
CARD=$(S card prepare --account ALICE --out "$T_DIR/perso.json")
"$CLI" card --perso "$T_DIR/perso.json" --key "$T_DIR/key.pem" --export "$T_DIR/record.json"
S card enrol --record "$T_DIR/record.json" >/dev/null || t_fail "card enrolled"

SOCK=$T_DIR/submit.sock
sc_listen server 'serving: submissions on' "$SRV" -D "$D" -d --listen none --unix "$SOCK" \
	--http 127.0.0.1:@PORT || t_fail "server started" "$(cat "$T_DIR/server.log")"
H="http://127.0.0.1:${SC_PORTS[0]}"
for atc in 1 2 3 4 5; do
	"$CLI" pay --perso "$T_DIR/perso.json" --key "$T_DIR/key.pem" --payee BOB --currency 978 \
		--server "$SOCK" --atc $atc --amount $((atc * 100)) >/dev/null ||
		t_fail "payment $atc"
done

# ---- Errors: status, Content-Type and body, as curl sees them.
# json_error WHAT STATUS CURL-ARGS...: the answer is STATUS with
# application/json and {"error": {"status": STATUS, "message": non-empty}}.
json_error() {
	local what=$1 want=$2 out; shift 2
	out=$(curl -s -o "$T_DIR/body" -w '%{http_code} %{content_type}' "$@")
	t_eq "$what: $want, JSON" "$want application/json yes" "$out $(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
e = d["error"]
print("yes" if set(d) == {"error"} and e["status"] == int(sys.argv[2])
      and isinstance(e["message"], str) and e["message"] else "no: %r" % d)
' "$T_DIR/body" "$want" 2>&1)"
}
head -c 4096 /dev/zero | tr '\0' x >"$T_DIR/big"
json_error "unknown path" 404 "$H/nope"
json_error "unknown account" 404 "$H/v1/accounts/NOBODY"
json_error "POST" 405 -X POST "$H/v1/accounts/ALICE"
json_error "OPTIONS" 405 -X OPTIONS "$H/v1/accounts/ALICE"
json_error "a method libevent does not know" 501 -X BREW "$H/v1/accounts/ALICE"
json_error "a body over the limit" 413 -X POST --data-binary @"$T_DIR/big" "$H/v1/accounts/ALICE"
json_error "headers over the limit" 400 -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$H/healthz"
json_error "a bad limit" 400 "$H/v1/accounts/ALICE/transfers?limit=0"
t_eq "405 says what is allowed" "Allow: GET, HEAD" \
	"$(curl -s -D - -o /dev/null -X DELETE "$H/v1/accounts/ALICE" | grep -i '^allow:' | tr -d '\r')"
t_eq "still serving after libevent's own errors" "ok" "$(curl -s "$H/healthz" | jq -r .status)"

t_done
