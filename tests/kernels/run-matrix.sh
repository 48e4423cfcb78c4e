#!/usr/bin/env bash
# Kernel matrix: boot Debian's own kernels under qemu with pure cgroup v2 and
# run podtrail's integration scenarios inside each (tests/kernels/init.sh).
# Prints one line per kernel and exits non-zero if any failed:
#
#   PASS 6.1.0-41-cloud-amd64 (bookworm, 14.2 s)
#   FAIL 5.10.0-32-cloud-amd64 (bullseye, 20.1 s): <reason>
#
# usage: run-matrix.sh [--out DIR] [--static DIR] [--timeout S] [--jobs N] [KERNEL...]
#
# --jobs: guests booted at once (default: host cores + 1); --timeout: seconds
# per guest (default 120).
#
# A KERNEL is a Debian suite (its linux-image-cloud-amd64) or SUITE:PACKAGE
# (e.g. bookworm-backports:linux-image-cloud-amd64, or a versioned
# linux-image-6.1.0-41-cloud-amd64). Default: bullseye bookworm trixie
# (5.10, 6.1, 6.12).
#
# Environment:
#   PODTRAIL_KERNEL_CACHE   downloaded kernels, kept between runs
#                           (default /var/cache/podtrail-kernels); a kernel in
#                           the cache is used without asking the network
#   PODTRAIL_KERNEL_REFRESH=1  resolve and download again (a newer point release)
#   PODTRAIL_QEMU_ACCEL     kvm or tcg (default: kvm when it boots a guest, else tcg)
#   PODTRAIL_QEMU_SMP       guest CPUs (default 1: one single-CPU guest per host
#                           core boots the whole matrix fastest under tcg)
#   PODTRAIL_GUEST_ATTACH   attach modes tried in the guest (default "tp_btf,tracepoint")
#   PODTRAIL_GUEST_VERBOSE  podtrail -v level in the guest (2: libbpf and verifier logs)
#   DEBIAN_MIRROR           default http://deb.debian.org/debian
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=build/kernels
STATIC=build/static
TIMEOUT=120
JOBS=$(($(nproc) + 1))
KERNELS=()
CACHE=${PODTRAIL_KERNEL_CACHE:-/var/cache/podtrail-kernels}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ACCEL=${PODTRAIL_QEMU_ACCEL:-auto}

while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift 2 ;;
	--static) STATIC=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-matrix.sh: unknown option $1" >&2; exit 2 ;;
	*) KERNELS+=("$1"); shift ;;
	esac
done
[ ${#KERNELS[@]} -gt 0 ] || KERNELS=(bullseye bookworm trixie)

log() {
	echo "run-matrix: $*" >&2
}

now() {
	date +%s.%N
}

since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# --- kernels: a private apt configuration, never the machine's sources --------

# fetch_kernel SUITE PACKAGE: print the cache directory holding vmlinuz,
# config and name; on failure print the reason on stdout and return 1.
fetch_kernel() {
	local suite=$1 pkg=$2
	local dir="$CACHE/$suite/$pkg"
	if [ -s "$dir/vmlinuz" ] && [ -s "$dir/name" ] && [ "${PODTRAIL_KERNEL_REFRESH:-0}" != 1 ]; then
		echo "$dir"
		return 0
	fi
	local apt="$CACHE/.apt-$suite-$$"
	rm -rf "$apt"
	mkdir -p "$apt/parts" "$apt/prefs" "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl" || {
		echo "cannot create $apt (PODTRAIL_KERNEL_CACHE=$CACHE)"
		return 1
	}
	cat > "$apt/parts/kernel.sources" <<-EOF
	Types: deb
	URIs: $MIRROR
	Suites: $suite
	Components: main
	Signed-By: $KEYRING
	EOF
	local -a o=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/parts"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		-o Dir::Etc::Preferences=/dev/null -o "Dir::Etc::PreferencesParts=$apt/prefs"
		-o APT::Architectures=amd64 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
	if ! apt-get "${o[@]}" -q update > "$apt/update.log" 2>&1 || grep -q '^[WE]: ' "$apt/update.log"; then
		echo "apt-get update for $suite failed: $(grep '^[WE]: ' "$apt/update.log" | head -n 1)"
		rm -rf "$apt"
		return 1
	fi
	local image=$pkg
	if ! apt-cache "${o[@]}" show "$pkg" > /dev/null 2>&1; then
		echo "package $pkg not found in $suite"
		rm -rf "$apt"
		return 1
	fi
	case "$pkg" in
	linux-image-[0-9]*) ;;
	*)	# a metapackage: the versioned image it depends on
		image=$(apt-cache "${o[@]}" depends "$pkg" 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
		if [ -z "$image" ]; then
			echo "$pkg in $suite depends on no linux-image-<version> package"
			rm -rf "$apt"
			return 1
		fi ;;
	esac
	if ! (cd "$apt/dl" && apt-get "${o[@]}" -q download "$image") > "$apt/download.log" 2>&1; then
		echo "apt-get download $image ($suite) failed: $(grep '^E: ' "$apt/download.log" | head -n 1)"
		rm -rf "$apt"
		return 1
	fi
	if ! dpkg -x "$apt"/dl/*.deb "$apt/x" 2> "$apt/dpkg.log"; then
		echo "dpkg -x of $image failed: $(head -n 1 "$apt/dpkg.log")"
		rm -rf "$apt"
		return 1
	fi
	local vmlinuz config
	vmlinuz=$(ls "$apt"/x/boot/vmlinuz-* 2>/dev/null | head -n 1)
	config=$(ls "$apt"/x/boot/config-* 2>/dev/null | head -n 1)
	if [ -z "$vmlinuz" ]; then
		echo "$image has no /boot/vmlinuz-*"
		rm -rf "$apt"
		return 1
	fi
	mkdir -p "$apt/k"
	cp "$vmlinuz" "$apt/k/vmlinuz"
	[ -n "$config" ] && cp "$config" "$apt/k/config"
	basename "$vmlinuz" | sed 's/^vmlinuz-//' > "$apt/k/name"
	ls "$apt"/dl/*.deb | xargs -n 1 basename > "$apt/k/package"
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	mv "$apt/k" "$dir"
	rm -rf "$apt"
	log "cached $(cat "$dir/package") in $dir"
	echo "$dir"
}

# --- the guest's initramfs ---------------------------------------------------

build_initramfs() {
	local root="$OUT/initramfs" bb f n
	bb=$(command -v busybox || echo /bin/busybox)
	for f in "$STATIC/podtrail" "$STATIC/pt-helper" "$STATIC/ptcheck" "$bb"; do
		[ -x "$f" ] || { log "missing $f (make static; busybox-static)"; return 1; }
	done
	if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked' &&
	   ! ldd "$bb" 2>&1 | grep -q 'not a dynamic'; then
		log "$bb is not statically linked: install busybox-static"
		return 1
	fi
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt}
	cp "$bb" "$root/bin/busybox"
	strip -o "$root/bin/podtrail" "$STATIC/podtrail"
	strip -o "$root/bin/ptcheck" "$STATIC/ptcheck"
	for n in pause segv hog; do
		strip -o "$root/bin/$n" "$STATIC/pt-helper"
	done
	cp "$HERE/init.sh" "$root/init"
	chmod 755 "$root/init"
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
	(cd "$root" && find . | sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) > "$OUT/initramfs.cpio"
	[ -s "$OUT/initramfs.cpio" ] || { log "cannot write $OUT/initramfs.cpio"; return 1; }
}

# --- booting -------------------------------------------------------------------

kvm_usable() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ]
}

KVM_PROBE_S=30

# boot ACCEL VMLINUZ LOG: the guest runs init.sh; qemu's exit code says nothing
# about the tests. Returns timeout's status (124: killed at TIMEOUT), or 99
# when a kvm guest printed nothing within KVM_PROBE_S: this /dev/kvm cannot
# boot a stock kernel (a nested paravirtual hypervisor), use tcg.
boot() {
	local accel=$1 kernel=$2 logf=$3 cpu=max pid waited=0
	[ "$accel" = kvm ] && cpu=host
	local append="console=ttyS0 cgroup_no_v1=all panic=-1 quiet loglevel=3"
	append+=" podtrail.attach=${PODTRAIL_GUEST_ATTACH:-tp_btf,tracepoint}"
	append+=" podtrail.verbose=${PODTRAIL_GUEST_VERBOSE:-1}"
	: > "$logf"
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" \
		-smp "${PODTRAIL_QEMU_SMP:-1}" -m 512M \
		-nodefaults -no-user-config -display none -monitor none \
		-serial "file:$logf" -no-reboot \
		-kernel "$kernel" -initrd "$OUT/initramfs.cpio" -append "$append" \
		< /dev/null > "$logf.qemu" 2>&1 &
	pid=$!
	if [ "$accel" = kvm ]; then
		while kill -0 $pid 2> /dev/null && ! grep -qa 'podtrail-guest:' "$logf"; do
			if [ $waited -ge $((KVM_PROBE_S * 5)) ]; then
				kill $pid
				wait $pid
				return 99
			fi
			sleep 0.2
			waited=$((waited + 1))
		done
	fi
	wait $pid
}

# kernel_spec SPEC: "SUITE PACKAGE" of a SUITE or SUITE:PACKAGE argument.
kernel_spec() {
	local suite=${1%%:*} pkg=linux-image-cloud-amd64
	[ "$1" != "$suite" ] && pkg=${1#*:}
	echo "$suite $pkg"
}

# run_kernel SUITE DIR: boot the cached kernel in DIR; one PASS/FAIL line on
# stdout, the tail of a failing guest's serial log on stderr.
run_kernel() {
	local suite=$1 dir=$2 t0 name logf rc result took
	local accel=$ACCEL
	name=$(cat "$dir/name")
	logf="$OUT/$name.log"
	[ "$accel" = auto ] && accel=$(cat "$OUT/.accel" 2>/dev/null || echo tcg)
	t0=$(now)
	boot "$accel" "$dir/vmlinuz" "$logf"
	rc=$?
	if [ "$accel" = kvm ] && [ "$ACCEL" = auto ] && ! grep -qa 'podtrail-guest:' "$logf"; then
		log "kvm booted nothing ($name, status $rc): using tcg from now on"
		echo tcg > "$OUT/.accel"
		accel=tcg
		t0=$(now)
		boot tcg "$dir/vmlinuz" "$logf"
		rc=$?
	fi
	took=$(since "$t0")
	result=$(tr -d '\r' < "$logf" | grep -a '^PODTRAIL-RESULT ' | tail -n 1)
	case "$result" in
	"PODTRAIL-RESULT PASS")
		echo "PASS $name ($suite, $accel, $took s)"
		return 0 ;;
	"PODTRAIL-RESULT FAIL"*)
		result=${result#PODTRAIL-RESULT FAIL } ;;
	*)
		if [ $rc -eq 99 ]; then
			result="kvm booted nothing within ${KVM_PROBE_S}s (try PODTRAIL_QEMU_ACCEL=tcg)"
		elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			result="no result within ${TIMEOUT}s"
		else
			result="the guest stopped without a result (qemu exit $rc)"
		fi ;;
	esac
	{
		echo "---- $name: tail of $logf"
		tr -d '\r' < "$logf" | tail -n 40
		[ -s "$logf.qemu" ] && { echo "---- qemu:"; tail -n 5 "$logf.qemu"; }
		echo "----"
	} >&2
	echo "FAIL $name ($suite, $accel, $took s): $result"
	return 1
}

main() {
	local t0 fail=0 i n=${#KERNELS[@]} suite pkg dir
	t0=$(now)
	command -v qemu-system-x86_64 > /dev/null || { echo "FAIL: qemu-system-x86_64 is not installed"; exit 1; }
	mkdir -p "$OUT" || exit 1
	mkdir -p "$CACHE" 2> /dev/null || { echo "FAIL: cannot create the kernel cache $CACHE"; exit 1; }
	build_initramfs || { echo "FAIL: cannot build the initramfs"; exit 1; }
	rm -f "$OUT/.accel" "$OUT"/.result.* "$OUT"/.tail.*
	if [ "$ACCEL" = auto ] && kvm_usable; then
		echo kvm > "$OUT/.accel"
	fi
	# One run at a time uses the cache (and downloads into it).
	exec 9> "$CACHE/.lock"
	flock 9

	# Kernels first, one at a time (cached ones ask no network)...
	local -a dirs=()
	for ((i = 0; i < n; i++)); do
		read -r suite pkg <<< "$(kernel_spec "${KERNELS[$i]}")"
		if dir=$(fetch_kernel "$suite" "$pkg"); then
			dirs[$i]=$dir
		else
			dirs[$i]=""
			echo "FAIL $pkg ($suite): $dir" > "$OUT/.result.$i"
		fi
	done
	# ... then up to JOBS guests at once.
	for ((i = 0; i < n; i++)); do
		[ -n "${dirs[$i]}" ] || continue
		read -r suite pkg <<< "$(kernel_spec "${KERNELS[$i]}")"
		run_kernel "$suite" "${dirs[$i]}" > "$OUT/.result.$i" 2> "$OUT/.tail.$i" &
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
			wait -n
		done
	done
	wait
	for ((i = 0; i < n; i++)); do
		[ -s "$OUT/.tail.$i" ] && cat "$OUT/.tail.$i" >&2
	done
	local passed=0
	for ((i = 0; i < n; i++)); do
		cat "$OUT/.result.$i"
		if grep -q '^PASS ' "$OUT/.result.$i"; then
			passed=$((passed + 1))
		else
			fail=1
		fi
	done
	rm -f "$OUT"/.result.* "$OUT"/.tail.*
	log "$n kernels in $(since "$t0") s; kernel cache $CACHE ($(du -sh "$CACHE" 2>/dev/null | cut -f 1))"
	echo "kernels: $passed passed, $((n - passed)) failed"
	exit $fail
}

main
