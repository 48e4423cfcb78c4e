#!/bin/bash
# Build podtrail's container image from deploy/Dockerfile -- the file users
# build with `docker build -f deploy/Dockerfile .` -- with buildah, which needs
# no daemon, and write it as an OCI archive. No registry is contacted: the
# Debian base images the Dockerfile names (debian:bookworm, and
# debian:bookworm-slim if a Dockerfile uses it) are made here from Debian's
# packages with mmdebstrap and stored under those names; the build stage's
# apt-get reaches Debian's archive like any apt on this machine.
#
#   tools/image/build-image.sh [--output FILE] [--tag NAME:TAG] [--dockerfile FILE]
#                              [--target STAGE] [--rebuild-bases]
#
# `make image` runs it (after installing buildah, mmdebstrap and bpftool).
# Defaults: --output build/podtrail-image.tar, --tag podtrail:<version from
# userspace/version.h>, --dockerfile deploy/Dockerfile.
#
# Environment:
#   PODTRAIL_IMAGE_CACHE   bases and buildah's storage (default /var/cache/podtrail-image)
#   PODTRAIL_BASE_MAX_AGE  days after which a base is made again (default 7): a
#                          rebuilt base also invalidates buildah's layer cache, so
#                          the build stage's packages (and their security updates)
#                          are at most that old
#   DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR   for mmdebstrap (default deb.debian.org)
#   BUILDAH_ISOLATION      chroot (default here) or oci
#
# Prints the build time and the archive's size at the end. docs/image.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

version=$(sed -n 's/^#define PODTRAIL_VERSION "\(.*\)"$/\1/p' userspace/version.h)
[ -n "$version" ] || { echo "build-image: no PODTRAIL_VERSION in userspace/version.h" >&2; exit 1; }

output=build/podtrail-image.tar
tag="podtrail:$version"
dockerfile=deploy/Dockerfile
target=""
rebuild_bases=0
while [ $# -gt 0 ]; do
	case $1 in
	--output) output=$2; shift 2 ;;
	--tag) tag=$2; shift 2 ;;
	--dockerfile) dockerfile=$2; shift 2 ;;
	--target) target=$2; shift 2 ;;
	--rebuild-bases) rebuild_bases=1; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-image: unknown argument $1 (--help)" >&2; exit 2 ;;
	esac
done
case $tag in
*:*) ;;
*) echo "build-image: --tag wants NAME:TAG, got $tag" >&2; exit 2 ;;
esac

cache=${PODTRAIL_IMAGE_CACHE:-/var/cache/podtrail-image}
max_age_days=${PODTRAIL_BASE_MAX_AGE:-7}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}

[ "$(id -u)" = 0 ] || { echo "build-image: run as root (buildah and mmdebstrap in root mode)" >&2; exit 1; }
for tool in buildah mmdebstrap; do
	command -v "$tool" >/dev/null || { echo "build-image: $tool is missing: run make image (it installs it)" >&2; exit 1; }
done

# buildah's own storage, away from any system podman's /var/lib/containers.
mkdir -p "$cache/storage" "$cache/bases" "$cache/tmp"
bh() {
	buildah --root "$cache/storage" --runroot "$cache/run" --storage-driver overlay "$@"
}
# Big layer blobs are staged in TMPDIR; keep them next to the storage.
export TMPDIR="$cache/tmp"

start=$(date +%s.%N)
elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# ---- the Debian bases ------------------------------------------------------

# debian:<suite> as Docker's official image is: --variant=minbase with a
# merged /usr (the hook, not the usrmerge package, which would pull in perl).
# The -slim one also leaves out documentation, manuals and translations
# (debuerreotype's "slimify" rules), for this base and for what is installed
# on it later (the rules stay in /etc/dpkg/dpkg.cfg.d/).
make_base() { # NAME SUITE SLIM
	local name=$1 suite=$2 slim=$3 ctr tarball
	tarball="$cache/bases/${1//:/-}.tar"
	local -a opts=(--variant=minbase --format=tar --quiet --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
		--aptopt='Acquire::Retries "3"')
	if [ "$slim" = 1 ]; then
		local p
		for p in 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
			'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/groff/*' \
			'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/lintian/*' \
			'path-exclude=/usr/share/linda/*' 'path-exclude=/usr/share/locale/*'; do
			opts+=(--dpkgopt="$p")
		done
	fi
	# The apt settings Docker's official images have (debuerreotype's): no
	# downloaded .deb nor package cache is kept after an install, indexes stay
	# compressed, no translations. Without them every `apt-get install` of a
	# Dockerfile leaves its packages in /var/cache/apt/archives.
	local conf="$cache/tmp/apt-conf"
	rm -rf "$conf"
	mkdir -p "$conf/etc/apt/apt.conf.d"
	local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
	printf 'DPkg::Post-Invoke { %s };\nAPT::Update::Post-Invoke { %s };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' \
		"$clean" "$clean" >"$conf/etc/apt/apt.conf.d/docker-clean"
	printf 'Acquire::GzipIndexes "true";\n' >"$conf/etc/apt/apt.conf.d/docker-gzip-indexes"
	printf 'Acquire::Languages "none";\n' >"$conf/etc/apt/apt.conf.d/docker-no-languages"
	printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$conf/etc/apt/apt.conf.d/docker-autoremove-suggests"
	# (mmdebstrap's own apt wrote its package caches before these settings
	# were in place; its clean-up then looks for them where they say: nowhere.)
	# shellcheck disable=SC2016 # $1 is the hook's argument, the new root
	opts+=(--customize-hook="sync-in $conf /" --customize-hook='rm -f "$1"/var/cache/apt/*.bin')
	echo "build-image: making $name with mmdebstrap ($suite from $mirror)"
	rm -f "$tarball.tmp"
	mmdebstrap "${opts[@]}" "$suite" "$tarball.tmp" \
		"deb $mirror $suite main" "deb $mirror $suite-updates main" \
		"deb $security_mirror $suite-security main"
	mv "$tarball.tmp" "$tarball"
	ctr=$(bh from --pull=never scratch)
	bh add --quiet "$ctr" "$tarball" / >/dev/null
	bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--cmd bash --os linux --arch "$(dpkg --print-architecture)" \
		--label "org.opencontainers.image.base.name=$name" \
		--label "org.opencontainers.image.description=mmdebstrap --variant=minbase $suite (tools/image/build-image.sh)" \
		"$ctr"
	bh commit --quiet --rm "$ctr" "docker.io/library/$name" >/dev/null
	rm -f "$tarball" # the image holds it; the tarball would only double the cache
	date +%s >"$cache/bases/${name//:/-}.made"
}

base_age_days() { # NAME -> whole days since that base was made, or nothing
	local stamp="$cache/bases/${1//:/-}.made"
	bh inspect --type image "docker.io/library/$1" >/dev/null 2>&1 || return 0
	[ -s "$stamp" ] || return 0
	echo $(( ($(date +%s) - $(cat "$stamp")) / 86400 ))
}

# The FROM lines' images, with the Dockerfile's ARG defaults substituted.
release=$(sed -n 's/^ARG DEBIAN_RELEASE=\(.*\)$/\1/p' "$dockerfile" | head -n 1)
bases=$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$dockerfile" |
	sed "s/\${DEBIAN_RELEASE}/$release/g; s/\$DEBIAN_RELEASE/$release/g" | grep '^debian:' | sort -u || true)
for base in $bases; do
	suite=${base#debian:}
	slim=0
	case $suite in *-slim) slim=1; suite=${suite%-slim} ;; esac
	age=$(base_age_days "$base")
	if [ "$rebuild_bases" = 1 ] || [ -z "$age" ] || [ "$age" -ge "$max_age_days" ]; then
		make_base "$base" "$suite" "$slim"
	else
		echo "build-image: $base: made $age day(s) ago, kept (PODTRAIL_BASE_MAX_AGE=$max_age_days)"
	fi
done
bases_done=$(elapsed)

# ---- vmlinux.h ---------------------------------------------------------------

# Generated here and passed in the context (Dockerfile.dockerignore lets it
# through): RUN steps then need no /sys/kernel/btf of their own.
if [ ! -s build/vmlinux.h ]; then
	make build/vmlinux.h
fi

# ---- the image ---------------------------------------------------------------

name=${tag%:*}
case $name in */*) ;; *) name="localhost/$name" ;; esac
local_ref="$name:${tag##*:}"
echo "build-image: buildah build -f $dockerfile -t $local_ref (isolation $BUILDAH_ISOLATION)"
target_args=()
[ -z "$target" ] || target_args=(--target "$target")
# --pull=never: the bases are the ones made above, never a registry's.
# --layers: a second build reuses the apt-get layer of the build stage.
bh build --pull=never --layers --isolation "$BUILDAH_ISOLATION" \
	--ignorefile "${dockerfile}.dockerignore" -f "$dockerfile" "${target_args[@]}" \
	-t "$local_ref" .

# The archive names the image twice in its index: NAME:TAG as
# org.opencontainers.image.ref.name (podman load, skopeo) and the full name a
# kubelet asks for, docker.io/library/NAME:TAG, as io.containerd.image.name
# (`ctr images import`, which would otherwise keep the short name, and the
# CRI would not find it).
case $tag in
*/*) full_name=$tag ;;
*) full_name="docker.io/library/$tag" ;;
esac
mkdir -p "$(dirname "$output")"
layout="$cache/tmp/layout"
rm -rf "$layout" "$output.tmp"
bh push --quiet "$local_ref" "oci:$layout:$tag"
sed -i "s|\"annotations\":{\"org.opencontainers.image.ref.name\":\"$tag\"}|\"annotations\":{\"io.containerd.image.name\":\"$full_name\",\"org.opencontainers.image.ref.name\":\"$tag\"}|" \
	"$layout/index.json"
grep -q "\"io.containerd.image.name\":\"$full_name\"" "$layout/index.json" ||
	{ echo "build-image: could not name the image in $layout/index.json" >&2; exit 1; }
tar -C "$layout" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	-cf "$output.tmp" oci-layout index.json blobs
rm -rf "$layout"
mv "$output.tmp" "$output"

# Intermediate images are the layer cache (--layers): keep them, except those
# made before the current build base, which can never match again. The base
# is remade every PODTRAIL_BASE_MAX_AGE days, so the cache stays bounded.
build_base=$(printf '%s\n' "$bases" | grep -v -- '-slim$' | head -n 1 || true)
if [ -n "$build_base" ]; then
	stale=$(bh images -q --filter dangling=true --filter "before=docker.io/library/$build_base" 2>/dev/null || true)
	# shellcheck disable=SC2086 # a list of image ids
	[ -z "$stale" ] || bh rmi $stale >/dev/null 2>&1 || true
fi

size=$(stat -c %s "$output")
unpacked=$(bh images --format '{{.Size}}' "$local_ref" 2>/dev/null || echo "?")
echo "build-image: $output: $full_name, $size bytes (archive); $unpacked unpacked"
echo "build-image: bases ${bases_done}s, total $(elapsed)s"
echo "build-image: load it with: ctr -n k8s.io images import $output"
