#!/bin/bash
# Complete a root file system for a `FROM scratch` image around the dynamically
# linked programs already in it: everything they need at run time, copied from
# this (Debian) system, and nothing else -- no shell, no package manager.
#
#   tools/image/mkrootfs.sh ROOTFS
#
# deploy/Dockerfile's build stage runs it on /out (which holds
# /out/usr/sbin/podtrail); tests/deploy/test_dockerfile.py runs it on the
# podtrail built here. For every ELF executable under ROOTFS it copies:
#
# - the program interpreter and every shared library the dynamic loader
#   resolves for it (ldd), at the same paths and through the same symbolic
#   links as here, merged-/usr links (/lib -> usr/lib, ...) included, so the
#   loader finds them without an ld.so.cache;
# - for each Debian package those files come from (and base-files, for
#   /etc/os-release): its dpkg status as var/lib/dpkg/status.d/<package>, which
#   image scanners (Trivy, Grype, Syft) read as they do for Google's distroless
#   images, and its /usr/share/doc/<package>/copyright;
# - /etc/os-release and /etc/debian_version (which distribution the packages
#   are from, for the same scanners); /etc/passwd, /etc/group and
#   /etc/nsswitch.conf with root and nobody only.
#
# It then runs each program with --version in a chroot of ROOTFS (needs root
# or CAP_SYS_CHROOT, which a build's RUN step has) and fails if one does not
# run there: a library loaded in a way ldd cannot see would show up here.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 ROOTFS" >&2; exit 2; }
root=$(realpath "$1")
[ -d "$root" ] || { echo "mkrootfs: $root is not a directory" >&2; exit 1; }

declare -A packages=() done_paths=()

# Make PATH (absolute, as on this system) resolve in ROOTFS as it does here:
# each symbolic link on the way is recreated and followed; directories are
# made, the final file copied (mode kept, owner root).
replicate() {
	local path=$1 cur="" rest comp target
	rest=${path#/}
	while [ -n "$rest" ]; do
		comp=${rest%%/*}
		if [ "$comp" = "$rest" ]; then rest=""; else rest=${rest#*/}; fi
		cur="$cur/$comp"
		if [ -L "$cur" ]; then
			target=$(readlink "$cur")
			if [ ! -L "$root$cur" ]; then
				[ -d "$root${cur%/*}" ] || mkdir -p "$root${cur%/*}"
				ln -s "$target" "$root$cur"
			fi
			case $target in
			/*) ;;
			*) target="${cur%/*}/$target" ;;
			esac
			replicate "$(realpath -m -s "$target${rest:+/$rest}")"
			return
		elif [ -d "$cur" ]; then
			[ -d "$root$cur" ] || mkdir -p "$root$cur"
		elif [ -e "$cur" ]; then
			[ -e "$root$cur" ] || cp -p "$cur" "$root$cur"
			done_paths["$cur"]=1
		else
			echo "mkrootfs: $path: $cur does not exist" >&2
			return 1
		fi
	done
}

# The Debian packages of the files copied. dpkg knows a file by the path its
# package ships it at, /lib/... or /usr/lib/... (merged /usr makes both work),
# so look for the last two components; one dpkg -S for all of them.
last2() { # /a/b/c -> b/c
	local dir=${1%/*}
	echo "${dir##*/}/${1##*/}"
}

packages_of() {
	local -a patterns=()
	local f line pkgs path key
	declare -A owner=()
	for f in "$@"; do
		patterns+=("*/$(last2 "$f")")
	done
	while IFS= read -r line; do
		case $line in diversion*) continue ;; esac
		pkgs=${line%%: /*}
		path=${line#"$pkgs": }
		key=$(last2 "$path")
		for pkg in $(echo "$pkgs" | tr ',' ' '); do
			case $pkg in *-dev | *-dev:*) continue ;; esac
			owner["$key"]=${pkg%%:*}
		done
	done < <(dpkg -S "${patterns[@]}" 2>/dev/null || true)
	for f in "$@"; do
		key=$(last2 "$f")
		if [ -z "${owner[$key]:-}" ]; then
			echo "mkrootfs: $f belongs to no Debian package" >&2
			return 1
		fi
		echo "${owner[$key]}"
	done
}

programs=()
while IFS= read -r -d '' f; do
	if [ "$(head -c 4 "$f" | od -An -c | tr -d ' \n')" = "177ELF" ]; then
		programs+=("${f#"$root"}")
	fi
done < <(find "$root" -type f -perm -u+x -print0)
[ ${#programs[@]} -gt 0 ] || { echo "mkrootfs: no executable under $root" >&2; exit 1; }

for prog in "${programs[@]}"; do
	interp=$(readelf -l "$root$prog" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	[ -n "$interp" ] || { echo "mkrootfs: $prog is not dynamically linked: nothing to add" >&2; continue; }
	replicate "$interp"
	# "name => /path (addr)", and the interpreter as "/path (addr)".
	libs=$(ldd "$root$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	if ldd "$root$prog" | grep -q 'not found'; then
		echo "mkrootfs: $prog: $(ldd "$root$prog" | grep 'not found' | tr -s ' \t' ' ')" >&2
		exit 1
	fi
	for lib in $libs; do
		replicate "$lib"
	done
done

owners=$(packages_of "${!done_paths[@]}")
for pkg in $owners; do
	packages["$pkg"]=1
done

# Which distribution this is (Trivy, Grype: the vulnerability data to match).
replicate /etc/os-release
replicate /etc/debian_version
packages[base-files]=1

mkdir -p "$root/var/lib/dpkg/status.d"
for pkg in "${!packages[@]}"; do
	dpkg-query -s "$pkg" >"$root/var/lib/dpkg/status.d/${pkg%%:*}"
	copyright=$(realpath -e "/usr/share/doc/${pkg%%:*}/copyright" 2>/dev/null) || {
		echo "mkrootfs: no /usr/share/doc/${pkg%%:*}/copyright" >&2
		exit 1
	}
	install -D -m 0644 "$copyright" "$root/usr/share/doc/${pkg%%:*}/copyright"
done

mkdir -p "$root/etc"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"

for prog in "${programs[@]}"; do
	if ! out=$(chroot "$root" "$prog" --version 2>&1); then
		echo "mkrootfs: $prog --version fails in the new root file system: $out" >&2
		exit 1
	fi
done
echo "mkrootfs: ${#programs[@]} program(s), ${#done_paths[@]} files from ${#packages[@]} Debian packages" \
	"($(printf '%s\n' "${!packages[@]}" | sort | tr '\n' ' '| sed 's/ $//')); $(du -sh "$root" | cut -f1)"
