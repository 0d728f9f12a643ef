#!/usr/bin/env bash
# sigcard-server's HTTP API (issue 17, item 3): every error, libevent's
# own included, is the JSON object {"error": {"status", "message"}}; the
# list endpoints page with cursors; times are RFC 3339; and the OpenAPI
# document served at /v1/openapi.json is docs/openapi.json, is itself
# valid, and describes each real answer (tests/tools/openapi_check.py).
# All of it on an SQLite ledger, then on PostgreSQL (issue 14: the same
# API from either), each check named with its backend.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_helpers.bash"
SRV=$SC_BIN/sigcard-server
CLI=$SC_BUILD/tests/tools/srvclient

# api_suite BACKEND [DB]: the checks on a fresh ledger, SQLite in the data
# folder or the PostgreSQL database DB names.
api_suite() {
T_SUFFIX=" [$1]"
D=$T_DIR/issuer-$1 DB=()
[ -n "${2:-}" ] && DB=(--db "$2")
S() { "$SRV" -D "$D" "${DB[@]}" "$@"; }

S init >/dev/null 2>&1
S account create ALICE --currency EUR --balance 100.00 >/dev/null
S account create BOB --currency EUR >/dev/null
CARD=$(S card prepare --account ALICE --out "$T_DIR/perso-$1.json")
"$CLI" card --perso "$T_DIR/perso-$1.json" --key "$T_DIR/key-$1.pem" --export "$T_DIR/record-$1.json"
S card enrol --record "$T_DIR/record-$1.json" >/dev/null || t_fail "card enrolled"

SOCK=$T_DIR/submit-$1.sock
sc_listen "server-$1" 'serving: submissions on' "$SRV" -D "$D" "${DB[@]}" -d --listen none \
	--unix "$SOCK" --http 127.0.0.1:@PORT || t_fail "server started" "$(cat "$T_DIR/server-$1.log")"
H="http://127.0.0.1:${SC_PORTS[0]}"
for atc in 1 2 3 4 5; do
	"$CLI" pay --perso "$T_DIR/perso-$1.json" --key "$T_DIR/key-$1.pem" --payee BOB --currency 978 \
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

# ---- The document: served as kept, valid, and true of every answer
# (checked by Debian's python3-jsonschema: /usr/bin/python3 is the Python
# it is installed for).
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
DOC=$SC_TOP/docs/openapi.json
t_check "GET /v1/openapi.json is docs/openapi.json as is" cmp -s "$DOC" <(curl -s "$H/v1/openapi.json")
T1=$(curl -s "$H/v1/transfers?limit=1" | jq -r '.transfers[0].id')
while read -r line; do
	case $line in
	"ok "*) t_ok "openapi: ${line#ok }" ;;
	*) t_fail "openapi: ${line#not ok }" ;;
	esac
done < <("$PY" "$SC_TOP/tests/tools/openapi_check.py" "$DOC" "$H" 2>&1 <<EOF
GET /healthz 200
HEAD /healthz 200
GET /metrics 200
GET /v1/openapi.json 200
GET /v1/accounts 200
GET /v1/accounts?limit=1 200
GET /v1/accounts?limit=1001 400
GET /v1/accounts?after=zz 400
GET /v1/accounts/ALICE 200
GET /v1/accounts/NOBODY 404
GET /v1/accounts/bad%20id 404
GET /v1/accounts/ALICE/transfers 200
GET /v1/accounts/ALICE/transfers?before=$T1 200
GET /v1/accounts/ALICE/transfers?limit=x 400
GET /v1/accounts/NOBODY/transfers 404
GET /v1/transfers 200
GET /v1/transfers?after=41 400
GET /v1/transfers/$T1 200
GET /v1/transfers/1 200
GET /v1/transfers/999999 404
GET /v1/transfers/x 404
GET /v1/cards 200
GET /v1/cards/$CARD 200
GET /v1/cards/0000000000000000 404
GET /v1/submissions 200
GET /v1/submissions?limit=2 200
GET /v1/submissions?after=zz 400
POST /v1/submissions 405
GET /nope 404
GET /v1/nope 404
POST /v1/accounts/ALICE 405
PUT /v1/cards 405
DELETE /v1/transfers/1 405
PATCH /v1/accounts 405
BREW /v1/accounts 501
POST /v1/accounts 413 4096
EOF
)
for list in "/v1/submissions submissions" "/v1/transfers transfers" "/v1/accounts/ALICE/transfers transfers" "/v1/accounts accounts"; do
	set -- $list
	line=$("$PY" "$SC_TOP/tests/tools/openapi_check.py" pages "$DOC" "$H" "$1" "$2" 2>&1 | grep -v '^ok GET')
	case $line in
	"ok "*) t_ok "${line#ok }" ;;
	*) t_fail "pages of $1" "$line" ;;
	esac
done
t_eq "a card's last receipt counter is its latest transfer's" \
	"$(curl -s "$H/v1/transfers/$T1" | jq -r .receipt.counter)" \
	"$(curl -s "$H/v1/cards/$CARD" | jq -r .last_receipt_counter)"
# An account's history (schema 6: its card's payments are found through
# its cards, the rest by payer or payee): the payer's holds its card's
# payments and its opening balance, the payee's the payments alone.
t_eq "ALICE's transfers, newest first: its card's five, then its opening balance" \
	"ALICE>BOB:5 ALICE>BOB:4 ALICE>BOB:3 ALICE>BOB:2 ALICE>BOB:1 EQUITY-EUR>ALICE:-" \
	"$(curl -s "$H/v1/accounts/ALICE/transfers" | jq -r '[.transfers[] | "\(.payer)>\(.payee):\(.atc // "-")"] | join(" ")')"
t_eq "BOB's transfers: the five payments to it" \
	"ALICE>BOB:5 ALICE>BOB:4 ALICE>BOB:3 ALICE>BOB:2 ALICE>BOB:1" \
	"$(curl -s "$H/v1/accounts/BOB/transfers" | jq -r '[.transfers[] | "\(.payer)>\(.payee):\(.atc // "-")"] | join(" ")')"
t_eq "the submissions, newest first: the five payments, each OK" "OK OK OK OK OK" \
	"$(curl -s "$H/v1/submissions" | jq -r '[.submissions[] | .result] | join(" ")')"
t_eq "times are RFC 3339 UTC, the same instant as created_ms" "yes" "$(curl -s "$H/v1/transfers/$T1" |
	"$PY" -c 'import json, sys, datetime
d = json.load(sys.stdin)
t = datetime.datetime.strptime(d["created"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print("yes" if round(t.timestamp() * 1000) == d["created_ms"] else d)')"
T_SUFFIX=
}

api_suite sqlite
pg_require "the HTTP API on a PostgreSQL ledger"
pg_start
api_suite postgresql "$PG_URL"
t_done
