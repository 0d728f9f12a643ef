#!/usr/bin/env bash
# `make install` as a Debian packager runs it: DESTDIR and PREFIX=/usr, no
# apt-get (stand-ins for apt-get and dpkg-query record any call), the exact
# file list and modes, the units accepted by `systemd-analyze verify` in the
# installed tree, sysusers.d and tmpfiles.d applied to it, the units'
# ExecStart lines run as written (paths moved under the test's folder) until
# every daemon listens, a missing library named without installing anything,
# and `make uninstall` leaving no file. It installs the programs already
# built in SC_BUILD: it fails rather than build them.
. "$(dirname "$0")/lib.sh"
DEST=$T_DIR/dest
FAKE=$T_DIR/fakebin
CALLS=$T_DIR/apt-get.calls
BUILD_REL=${SC_BUILD#"$SC_TOP"/}
mkdir -p "$FAKE"
# Every package looks missing, so ensure-deps.sh, if it runs, calls apt-get.
printf '#!/bin/sh\necho "apt-get $*" >>"%s"\nexit 100\n' "$CALLS" >"$FAKE/apt-get"
printf '#!/bin/sh\nexit 1\n' >"$FAKE/dpkg-query"
chmod +x "$FAKE/apt-get" "$FAKE/dpkg-query"
# make from the top, as a user would, with none of the variables that the
# make running this test (make check) exports.
mk() {
	env -i PATH="$FAKE:$PATH" HOME="$HOME" TMPDIR="$T_DIR" LC_ALL=C \
		make -C "$SC_TOP" --no-print-directory BUILD="$BUILD_REL" "$@"
}

if ! out=$(mk -q SC_DEPS_OK=1 programs 2>&1); then
	t_fail "the programs in $SC_BUILD are built and up to date" "$out"
	t_done; exit
fi

t_check "make install DESTDIR PREFIX=/usr" mk install DESTDIR="$DEST" PREFIX=/usr
t_eq "make install ran no apt-get" "" "$(cat "$CALLS" 2>/dev/null)"
t_eq "installed files and modes" "$(cat <<'EOF'
0644 usr/lib/systemd/system/sigcard-card@.service
0644 usr/lib/systemd/system/sigcard-server.service
0644 usr/lib/systemd/system/sigcard-terminal.service
0644 usr/lib/sysusers.d/sigcard.conf
0644 usr/lib/tmpfiles.d/sigcard.conf
0644 usr/share/doc/sigcard/PROTOCOL.md
0644 usr/share/doc/sigcard/README.md
0644 usr/share/doc/sigcard/control-socket.md
0644 usr/share/doc/sigcard/examples/card.env
0644 usr/share/doc/sigcard/examples/server.env
0644 usr/share/doc/sigcard/examples/terminal.env
0644 usr/share/man/man1/sigcard-card.1
0644 usr/share/man/man1/sigcard-terminal.1
0644 usr/share/man/man8/sigcard-server.8
0755 usr/bin/sigcard-card
0755 usr/bin/sigcard-server
0755 usr/bin/sigcard-terminal
EOF
)" "$(cd "$DEST" && find . ! -type d -printf '%#m %P\n' | LC_ALL=C sort -k1,1 -k2,2)"
t_eq "units name the installed programs" "" \
	"$(grep -h '^ExecStart=' "$DEST"/usr/lib/systemd/system/* | grep -v '^ExecStart=/usr/bin/sigcard-')"

# A root for the checks: the installed tree plus this machine's own units
# (sysinit.target and the rest that every service depends on).
ROOT=$T_DIR/root
cp -a "$DEST" "$ROOT"
mkdir -p "$ROOT/etc"
cp -a /usr/lib/systemd/system/. "$ROOT/usr/lib/systemd/system/"
for unit in sigcard-server.service sigcard-card@1.service sigcard-terminal.service; do
	out=$(MANPATH="$ROOT/usr/share/man" systemd-analyze verify --root="$ROOT" "$unit" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then t_ok "systemd-analyze verify $unit"
	else t_fail "systemd-analyze verify $unit" "exit $rc" "$out"; fi
done
t_check "systemd-sysusers makes the user" systemd-sysusers --root="$ROOT"
uid=$(awk -F: '$1 == "sigcard" { print $3 }' "$ROOT/etc/passwd")
# Handing the folders to the sigcard user is a chown: root's alone.
if [ "$(id -u)" -eq 0 ]; then
	t_check "systemd-tmpfiles makes the folders" systemd-tmpfiles --root="$ROOT" --create
	t_eq "folders: mode and owner" "$(printf '%s\n' "700 $uid var/lib/sigcard-card" \
		"700 $uid var/lib/sigcard-server" "750 $uid run/sigcard")" \
		"$(cd "$ROOT" && stat -c '%a %u %n' var/lib/sigcard-card var/lib/sigcard-server run/sigcard)"
else
	t_skip "systemd-tmpfiles makes the folders" "not root: the folders' owner is set by chown, which only root may"
	t_skip "folders: mode and owner" "not root: see above"
	mkdir -p "$ROOT/var/lib/sigcard-card" "$ROOT/var/lib/sigcard-server" "$ROOT/run/sigcard"
fi

# Each unit's ExecStart, expanded as systemd does (%i, ${VAR} one word,
# $VAR split at spaces) with its Environment= and the example environment
# file, system paths moved under ROOT and the server's fixed ports to
# "@PORT", which sc_listen makes free ones: the daemons must start as
# written and listen.
mkdir -p "$ROOT/etc/sigcard"
exec_line() {
	python3 - "$ROOT" "$1" "$2" "$3" "127.0.0.1:7460=127.0.0.1:@PORT" "127.0.0.1:7461=127.0.0.1:@PORT" <<'PY'
import re, shlex, sys
root, unit, envfile, inst = sys.argv[1:5]
ports = dict(a.split("=") for a in sys.argv[5:])
env, cmd = {}, None
for line in open(unit):
    if line.startswith("Environment="):
        k, _, v = line.strip()[len("Environment="):].partition("=")
        env[k] = v
    elif line.startswith("ExecStart="):
        cmd = line.strip()[len("ExecStart="):]
for line in open(envfile):
    line = line.strip()
    if line and not line.startswith("#"):
        k, _, v = line.partition("=")
        env[k] = " ".join(shlex.split(v))
def move(s):
    s = re.sub(r"(?<![\w/])(/run/sigcard|/var/lib|/etc/sigcard|/usr/bin)", lambda m: root + m.group(1), s)
    for a, b in ports.items():
        s = s.replace(a, b)
    return s
out = []
for w in cmd.replace("%i", inst).split():
    m = re.fullmatch(r"\$\{(\w+)\}|\$(\w+)", w)
    if m and m.group(1):
        out.append(env.get(m.group(1), ""))
    elif m:
        out.extend(env.get(m.group(2), "").split())
    else:
        out.append(w)
sys.stdout.write("".join(move(a) + "\0" for a in out))
PY
}
U=$DEST/usr/lib/systemd/system
EX=$DEST/usr/share/doc/sigcard/examples
"$ROOT/usr/bin/sigcard-server" -D "$ROOT/var/lib/sigcard-server" init >"$T_DIR/init.log" 2>&1 &&
	"$ROOT/usr/bin/sigcard-server" -D "$ROOT/var/lib/sigcard-server" key show >"$ROOT/etc/sigcard/receipt.key" ||
	t_fail "sigcard-server init in the installed tree" "$(cat "$T_DIR/init.log")"
mapfile -d '' srv < <(exec_line "$U/sigcard-server.service" "$EX/server.env" "")
mapfile -d '' card < <(exec_line "$U/sigcard-card@.service" "$EX/card.env" 1)
mapfile -d '' term < <(exec_line "$U/sigcard-terminal.service" "$EX/terminal.env" "")
R=$ROOT/run/sigcard
# The server says where it serves once every socket is bound: its
# submissions on the TCP port (over TLS: init made the terminal CA) and the
# Unix socket, its HTTP API on the other port (started again on new ports if
# another process took one).
if sc_listen server 'serving: submissions on' "${srv[@]}" && [ ${#SC_PORTS[@]} -eq 2 ] &&
	grep -qF "serving: submissions on 127.0.0.1:${SC_PORTS[0]} (TLS) and $R/submit.sock, HTTP on 127.0.0.1:${SC_PORTS[1]}," \
		"$T_DIR/server.log" && test -S "$R/submit.sock"; then
	t_ok "sigcard-server.service's ExecStart serves"
else
	t_fail "sigcard-server.service's ExecStart serves" "${srv[*]}" "$(cat "$T_DIR/server.log")"
fi
sc_bg card "${card[@]}"
if sc_wait_sock "$R/card-1-contact.sock" 20 && sc_wait_sock "$R/card-1-contactless.sock" 20 &&
	sc_wait_for 20 test -s "$R/card-1.png"; then
	t_ok "sigcard-card@1.service's ExecStart serves"
else
	t_fail "sigcard-card@1.service's ExecStart serves" "${card[*]}" "$(cat "$T_DIR/card.log")"
fi
sc_bg terminal "${term[@]}"
if sc_wait_sock "$R/terminal.sock" 20; then
	t_ok "sigcard-terminal.service's ExecStart serves"
else
	t_fail "sigcard-terminal.service's ExecStart serves" "${term[*]}" "$(cat "$T_DIR/terminal.log")"
fi

# A library missing: the build stops, naming it and `make deps`, and
# installs nothing.
printf '#!/bin/sh\ncase "$*" in *--exists*libpng*) exit 1 ;; esac\nexec /usr/bin/pkg-config "$@"\n' \
	>"$FAKE/pkg-config"
chmod +x "$FAKE/pkg-config"
out=$(mk programs 2>&1); rc=$?
t_check "a missing library stops make, named, with the make deps hint" \
	bash -c "[ $rc -ne 0 ] && grep -q 'missing libraries (pkg-config modules): libpng\.' <<<\"\$1\" && grep -q 'make deps' <<<\"\$1\"" _ "$out"
rm "$FAKE/pkg-config"
t_eq "and ran no apt-get" "" "$(cat "$CALLS" 2>/dev/null)"

t_check "make uninstall" mk uninstall DESTDIR="$DEST" PREFIX=/usr
t_eq "make uninstall leaves no file" "" "$(find "$DEST" ! -type d)"
# The stand-ins work: make deps does reach apt-get (as root; an ordinary
# user is told the apt-get line to run as root instead).
out=$(mk deps 2>&1)
if [ "$(id -u)" -eq 0 ]; then
	t_check "make deps reaches apt-get" test -s "$CALLS"
else
	t_check "make deps, not root: names the apt-get line to run as root" \
		bash -c "grep -q 'run as root:  apt-get install' <<<\"\$1\"" _ "$out"
fi
t_done
