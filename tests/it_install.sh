#!/usr/bin/env bash
# it_install.sh - denpo installs like any Debian program (issue 12, item 1).
#  1. `make install DESTDIR=… PREFIX=/usr` (and the default PREFIX) give the
#     expected tree; the installed programs answer --version, version, --help;
#     the man pages render without a warning and name every command, option
#     and configuration key the programs and config.c know; the installed
#     bash completion completes commands, subcommands and options.
#  2. The Debian packages (root only; the normal build's suite only, since
#     it compiles its own binaries): dpkg-buildpackage in a copy of the tree,
#     lintian without errors, apt install, the user denpod and /var/lib/denpod
#     (0700), the programs and man pages, remove (data kept), purge (gone).
. "$(dirname "$0")/lib.sh"
need_programs it_install "$DENPOD" "$DENPO"
t_workdir
VERSION=$(cat "$ROOT/VERSION")
MAN_WARN() { LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$1" 2>&1 >/dev/null; }
MAN_TEXT() { LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$1" 2>/dev/null | col -b; }

# ---- 1. make install ----
san=0
case $BUILD in *asan*) san=1 ;; esac
# install the programs as built (-o: never remade here, even if the version moved on)
MAKE_INSTALL=(make -s -C "$ROOT" BUILD="$BUILD" SAN=$san -o "$BUILD/denpod" -o "$BUILD/denpo")
R=$T/root
if "${MAKE_INSTALL[@]}" install DESTDIR="$R" PREFIX=/usr >"$T/make.out" 2>&1; then
	ok
else
	no "make install DESTDIR PREFIX=/usr: $(tail -5 "$T/make.out")"
fi
want=(usr/sbin/denpod usr/bin/denpo usr/share/man/man1/denpo.1 usr/share/man/man8/denpod.8
	usr/share/man/man5/denpod.conf.5 usr/share/man/man5/detect.conf.5
	usr/share/bash-completion/completions/denpo usr/share/bash-completion/completions/denpod
	usr/share/doc/denpo/README.md usr/share/doc/denpo/operations.md)
[ -f "$ROOT/dist/denpod.service" ] && want+=(lib/systemd/system/denpod.service)
[ -f "$ROOT/dist/denpod.logrotate" ] && want+=(etc/logrotate.d/denpod)
for f in "${want[@]}"; do
	check "installed $f" test -f "$R/$f"
done
check "denpod is 0755" test "$(stat -c %a "$R/usr/sbin/denpod" 2>/dev/null)" = 755
check "nothing outside usr/, lib/, etc/" test -z "$(ls "$R" 2>/dev/null | grep -vxE 'usr|lib|etc')"
# the default PREFIX
if "${MAKE_INSTALL[@]}" install-denpod DESTDIR="$T/local" >"$T/make2.out" 2>&1 &&
	[ -x "$T/local/usr/local/sbin/denpod" ] && [ -f "$T/local/usr/local/share/man/man8/denpod.8" ]; then
	ok
else
	no "make install-denpod without PREFIX: not in /usr/local: $(tail -3 "$T/make2.out")"
fi

# the built programs and the installed ones: --version, version, --help
for p in "$DENPOD" "$DENPO" usr/sbin/denpod usr/bin/denpo; do
	[[ $p == /* ]] || p=$R/$p
	n=$(basename "$p")
	for v in --version version; do
		out=$("$p" $v 2>&1)
		rc=$?
		if [ $rc = 0 ] && [[ $out == "$n $VERSION"* ]] && [[ $out =~ ^$n\ [0-9]+\.[0-9]+\.[0-9]+ ]]; then
			ok
		else
			no "$p $v: exit $rc, printed [$(head -c 100 <<<"$out")], want \"$n $VERSION...\""
		fi
	done
	check "$p --help exits 0 and lists version" bash -c "'$p' --help | grep -qw version"
done

# the man pages: no warning from man (as lintian runs it), and this version
for m in man1/denpo.1 man8/denpod.8 man5/denpod.conf.5 man5/detect.conf.5; do
	w=$(MAN_WARN "$R/usr/share/man/$m")
	if [ -z "$w" ]; then ok; else no "man $m warns: $(head -c 300 <<<"$w")"; fi
	check "man $m says denpo $VERSION (.TH)" grep -q "^\.TH .* \"denpo $VERSION\"" "$R/usr/share/man/$m"
done

# the completion (installed copy, installed programs): commands, subcommands, options
SYSPATH=$PATH
PATH="$R/usr/sbin:$R/usr/bin:$PATH"
. "$R/usr/share/bash-completion/completions/denpod"
complete_words() { # PROGRAM WORD... (the last is the one being completed)
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	"_$1"
	echo "${COMPREPLY[*]}"
}
expect_completion() { # WANT PROGRAM WORD...
	local want=$1 got
	shift
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then ok; else no "completion of [$*]: [$got], want [$want]"; fi
}
expect_completion "device" denpod dev
expect_completion "suspend" denpod device sus
expect_completion "checkpoint verify show rollback" denpod log ""
expect_completion "--reason" denpod device revoke --rea
expect_completion "version" denpod vers
expect_completion "backup" denpod back
expect_completion "--lost" denpod restore --lo
expect_completion "send sent" denpo se
expect_completion "--class --classified-by" denpo send --cla
expect_completion "inbox" denpo --home /tmp inb
expect_completion "status rotate publish export-identity passphrase" denpo key ""
expect_completion "--full --min-cosigners" denpo audit sync --
expect_completion "recover" denpo log ""
expect_completion "sync search show" denpo records s
expect_completion "--out" denpo records export --o
expect_completion "--yes" denpo log recover --y

# every command and option the programs know is in their man page (the words
# come from the completion, i.e. from the programs' own --help); some 200 runs
# of the programs, so only in the normal build's suite
man_sync() {
	MAN_TEXT "$R/usr/share/man/man8/denpod.8" >"$T/denpod.8.txt"
	MAN_TEXT "$R/usr/share/man/man1/denpo.1" >"$T/denpo.1.txt"
	missing=()
	for w1 in $(complete_words denpod ""); do
		[[ $w1 == -* ]] && continue
		subs=$(complete_words denpod "$w1" "")
		[[ $subs == -* ]] && subs=""
		for w2 in ${subs:-""}; do
			grep -qE "^ *${w1}( ${w2})?( |,|$)" "$T/denpod.8.txt" || missing+=("denpod $w1 $w2")
			for o in $(complete_words denpod "$w1" ${w2:+"$w2"} --); do
				grep -qF -- "$o" "$T/denpod.8.txt" || missing+=("denpod $w1 $w2 $o")
			done
		done
	done
	for c in $(complete_words denpo ""); do
		grep -qE "^ *$c( |$)" "$T/denpo.1.txt" || missing+=("denpo $c")
		subs=$(complete_words denpo "$c" "")
		for s in ${subs:-""}; do
			for o in $(complete_words denpo "$c" ${s:+"$s"} --); do
				grep -qF -- "$o" "$T/denpo.1.txt" || missing+=("denpo $c $s $o")
			done
		done
	done
	for o in $(complete_words denpo --); do
		grep -qF -- "$o" "$T/denpo.1.txt" || missing+=("denpo $o")
	done
	# every detect.conf parameter the program knows (denpod detect check prints them all)
	: >"$T/empty.conf"
	MAN_TEXT "$R/usr/share/man/man5/detect.conf.5" >"$T/detect.5.txt"
	nparam=0
	for k in $("$DENPOD" detect check "$T/empty.conf" | awk '$1 ~ /^[a-z-]+\.[a-z-]+$/ {print $1}'); do
		nparam=$((nparam + 1))
		grep -qE "^ *$k = n" "$T/detect.5.txt" || missing+=("detect.conf $k")
	done
	check "denpod detect check lists the parameters ($nparam)" test "$nparam" -ge 30
	# every denpod.conf key of config.c's table of keys
	MAN_TEXT "$R/usr/share/man/man5/denpod.conf.5" >"$T/conf.5.txt"
	keys=$(grep -oE '^[[:space:]]*\{"[a-z_]+", K_(STR|ADDR|NUM|MARK),' "$ROOT/denpod/config.c" |
		sed -E 's/.*"([a-z_]+)".*/\1/')
	check "config.c's keys found ($(wc -w <<<"$keys"))" test "$(wc -w <<<"$keys")" -ge 17
	for k in $keys; do
		grep -qE "^ *$k=" "$T/conf.5.txt" || missing+=("denpod.conf $k")
	done
	if [ ${#missing[@]} = 0 ]; then ok; else no "not in the man pages: ${missing[*]}"; fi
}
if [ "$san" = 1 ]; then
	skip "the man pages against the programs' commands: in the normal build's suite"
else
	man_sync
fi

PATH=$SYSPATH # (man -w finds man pages next to the programs in PATH)

# ---- 2. the Debian packages ----
package_test() {
	local W=$T/pkg
	mkdir -p "$W/denpo"
	tar -C "$ROOT" --exclude=./.git --exclude='./build*' --exclude=node_modules -cf - . |
		tar -C "$W/denpo" -xf -
	local t0=$SECONDS
	if (cd "$W/denpo" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" \
		dpkg-buildpackage -us -uc -b >"$W/build.log" 2>&1); then
		ok
	else
		no "dpkg-buildpackage: $(tail -15 "$W/build.log")"
		return
	fi
	echo "dpkg-buildpackage: $((SECONDS - t0)) s"
	local dv
	dv=$(cd "$W/denpo" && dpkg-parsechangelog -S Version)
	check "debian/changelog's version $dv is VERSION's ($VERSION-N)" test "${dv%-*}" = "$VERSION"
	local debs=("$W"/denpod_*.deb "$W"/denpo_*.deb)
	check "two packages built" test -f "${debs[0]}" -a -f "${debs[1]}"
	t0=$SECONDS
	lintian --fail-on error "${debs[@]}" >"$W/lintian.out" 2>&1
	local rc=$?
	echo "lintian: $((SECONDS - t0)) s"
	if [ $rc = 0 ] && ! grep -q '^E:' "$W/lintian.out"; then ok; else no "lintian: $(cat "$W/lintian.out")"; fi
	grep -E '^[WE]:' "$W/lintian.out"

	export DEBIAN_FRONTEND=noninteractive
	if apt-get install -y -qq "${debs[@]}" >"$W/install.log" 2>&1; then
		ok
	else
		no "apt install: $(tail -5 "$W/install.log")"
		return
	fi
	local pw
	pw=$(getent passwd denpod)
	check "user denpod exists" test -n "$pw"
	IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
	check "denpod is a system user ($uid)" test "${uid:-1000}" -lt 1000
	check "denpod's home is /var/lib/denpod ($home)" test "$home" = /var/lib/denpod
	check "denpod has no login shell ($shell)" test "$shell" = /usr/sbin/nologin
	check "/var/lib/denpod is denpod's, 0700" \
		test "$(stat -c '%U %G %a' /var/lib/denpod 2>&1)" = "denpod denpod 700"
	check "/usr/sbin/denpod --version" test "$(/usr/sbin/denpod --version)" = "denpod $VERSION"
	check "/usr/bin/denpo --version" test "$(/usr/bin/denpo --version)" = "denpo $VERSION"
	check "man -w denpod" test "$(man -w denpod 2>&1)" = /usr/share/man/man8/denpod.8.gz
	check "man -w denpo" test "$(man -w denpo 2>&1)" = /usr/share/man/man1/denpo.1.gz
	check "man -w 5 denpod.conf" test "$(man -w 5 denpod.conf 2>&1)" = /usr/share/man/man5/denpod.conf.5.gz
	check "man -w 5 detect.conf" test "$(man -w 5 detect.conf 2>&1)" = /usr/share/man/man5/detect.conf.5.gz
	check "completion installed" test -f /usr/share/bash-completion/completions/denpod \
		-a -f /usr/share/bash-completion/completions/denpo
	if [ -f "$ROOT/dist/denpod.service" ]; then
		check "the unit is installed" test -f /lib/systemd/system/denpod.service
	fi
	# the user can make a switch in its directory
	if runuser -u denpod -- /usr/sbin/denpod init --data /var/lib/denpod --url https://127.0.0.1:9 \
		--listen 127.0.0.1:9 >"$W/init.out" 2>&1; then
		ok
	else
		no "denpod init as denpod in /var/lib/denpod: $(cat "$W/init.out")"
	fi
	check "its key is denpod's, 0600" test "$(stat -c '%U %a' /var/lib/denpod/sign.key 2>&1)" = "denpod 600"

	# remove: the programs go, the data and the user stay
	apt-get remove -y -qq denpod denpo >"$W/remove.log" 2>&1
	check "removed: no /usr/sbin/denpod" test ! -e /usr/sbin/denpod
	check "removed: no /usr/bin/denpo" test ! -e /usr/bin/denpo
	check "removed: no man page" test ! -e /usr/share/man/man8/denpod.8.gz
	check "removed: /var/lib/denpod kept" test -f /var/lib/denpod/sign.key
	check "removed: user kept" bash -c "getent passwd denpod >/dev/null"
	# purge: the data and the user go too, and it says so
	apt-get purge -y -qq denpod >"$W/purge.log" 2>&1
	check "purge says it deletes the data" grep -q "purge: deleting /var/lib/denpod" "$W/purge.log"
	check "purged: no /var/lib/denpod" test ! -e /var/lib/denpod
	check "purged: no user denpod" bash -c '! getent passwd denpod'
	check "purged: no group denpod" bash -c '! getent group denpod'
	check "purged: dpkg knows neither" bash -c '! dpkg -s denpod >/dev/null 2>&1 && ! dpkg -s denpo >/dev/null 2>&1'
	check "purged: no /usr/share/doc/denpod" test ! -e /usr/share/doc/denpod
}
if [ "$san" = 1 ]; then
	skip "the package test runs in the normal build's suite (it compiles its own binaries)"
elif [ "$(id -u)" != 0 ]; then
	skip "the package test needs root (apt install)"
elif dpkg -s denpod >/dev/null 2>&1 || dpkg -s denpo >/dev/null 2>&1 || getent passwd denpod >/dev/null; then
	skip "a denpod/denpo package or user denpod is on this machine already: not touching it"
else
	tools=1
	for tool in dpkg-buildpackage dh lintian fakeroot man apt-get runuser; do
		command -v "$tool" >/dev/null || { no "$tool missing: run scripts/setup"; tools=0; }
	done
	if [ "$tools" = 1 ]; then
		# whatever happens, leave no package and no user behind
		trap 'dpkg --purge denpod denpo >/dev/null 2>&1; t_cleanup' EXIT
		package_test
	fi
fi
t_done it_install
