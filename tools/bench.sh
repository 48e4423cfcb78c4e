#!/bin/sh
# podtrail benchmarks: `make bench` runs this after `make deps all`.
# Figures, side by side, for this machine; see tools/bench/bench.py for what each
# one measures and how. Needs root. Arguments go to bench.py (--help, --quick).
# The table is printed at the end; build/bench/results.json has every raw figure.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "bench: run as root (BPF programs, cgroups)" >&2
	exit 1
fi
exec "${PYTHON:-/usr/bin/python3}" tools/bench/bench.py "$@"
