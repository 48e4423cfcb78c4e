#!/bin/busybox sh
# /init of the kernel matrix's guest: a pure cgroup v2 machine (the kernel
# runs with cgroup_no_v1=all). Starts podtrail, runs the integration tests'
# scenarios in kubelet-style cgroups of both drivers, checks the events'
# fields with ptcheck, and ends with one line the host reads from the serial
# console:
#
#   PODTRAIL-RESULT PASS
#   PODTRAIL-RESULT FAIL <first failure> (+N more)
#
# then powers off. Extra kernel command line: podtrail.attach=MODES (default
# "tp_btf tracepoint", comma-separated), podtrail.verbose=N.

/bin/busybox --install -s /bin
export PATH=/bin
MiB=1048576
CG=/sys/fs/cgroup
FAILS=/tmp/failures

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
: > $FAILS

say() {
	read -r up _ < /proc/uptime
	echo "podtrail-guest: [$up] $*"
}

fail() {
	say "FAIL: $*"
	echo "$*" >> $FAILS
}

finish() {
	n=$(wc -l < $FAILS)
	if [ "$n" -eq 0 ]; then
		echo "PODTRAIL-RESULT PASS"
	else
		say "dmesg tail:"
		dmesg | tail -n 15
		say "$n failures:"
		sed 's/^/podtrail-guest:   /' $FAILS
		first=$(head -n 1 $FAILS)
		if [ "$n" -gt 1 ]; then
			echo "PODTRAIL-RESULT FAIL $first (+$((n - 1)) more)"
		else
			echo "PODTRAIL-RESULT FAIL $first"
		fi
	fi
	sync
	poweroff -f
	sleep 10
}

cmdline_opt() {
	for w in $(cat /proc/cmdline); do
		case "$w" in
		"$1"=*) echo "${w#*=}" | tr ',' ' '; return ;;
		esac
	done
	echo "$2"
}

ATTACH_MODES=$(cmdline_opt podtrail.attach "tp_btf tracepoint")
VERBOSE=$(cmdline_opt podtrail.verbose 1)
say "kernel $(uname -r), attach modes: $ATTACH_MODES"

# --- a pure cgroup v2 machine -------------------------------------------------

mount -t cgroup2 cgroup2 $CG || { fail "cannot mount cgroup2"; finish; }
mkdir -p /mnt/v1
if mount -t cgroup -o memory cgroup /mnt/v1 2>/dev/null; then
	umount /mnt/v1
	fail "a cgroup v1 memory hierarchy could be mounted: the guest is not pure cgroup v2"
fi
echo "+memory +pids" > $CG/cgroup.subtree_control || fail "cannot enable +memory +pids at the root"
[ -r /sys/kernel/btf/vmlinux ] || fail "no /sys/kernel/btf/vmlinux"

uuid() {
	cat /proc/sys/kernel/random/uuid
}

container_id() {
	echo "$(uuid)$(uuid)" | tr -d '-'
}

# kubelet layouts, as in tests/integration/conftest.py
cgroupfs_path() { # uid cid qos
	echo "kubepods/$3/pod$1/$2"
}

systemd_path() { # uid cid qos
	echo "kubepods.slice/kubepods-$3.slice/kubepods-$3-pod$(echo "$1" | tr '-' '_').slice/cri-containerd-$2.scope"
}

qos_name() {
	case "$1" in
	burstable) echo Burstable ;;
	besteffort) echo BestEffort ;;
	esac
}

# Create every level of REL, delegating memory and pids down to the leaf's parent.
make_cgroup() {
	dir=$CG
	for part in $(echo "$1" | tr '/' ' '); do
		[ "$dir" != $CG ] && echo "+memory +pids" > "$dir/cgroup.subtree_control"
		dir="$dir/$part"
		mkdir -p "$dir"
	done
}

# Leaf first, then each parent that is empty.
remove_cgroup() {
	dir="$CG/$1"
	while [ "$dir" != $CG ]; do
		rmdir "$dir" 2>/dev/null || break
		dir=${dir%/*}
	done
}

# sh -c "$RUN_IN" sh DIR ARGV... runs ARGV as the first process of the cgroup DIR
# (its parent, this shell, lives at the root); backgrounded, $! is its pid.
RUN_IN='echo $$ > "$1/cgroup.procs" && shift && exec "$@"'
# unshare -p -f sh -c "$RUN_AS_INIT" sh DIR ARGV... runs ARGV as pid 1 of a new pid
# namespace that moves itself into DIR while its parent (unshare, $!) stays
# outside: a container's main process as a runtime starts it.
RUN_AS_INIT='echo 0 > "$1/cgroup.procs" && shift && exec "$@"'

# The fields every container event must carry (assert_attributed in test_events.py).
attributed() { # uid cid driver rel qos
	echo "pod.uid=$1 container.id=$2 cgroup.driver=$3 cgroup.hierarchy=v2 cgroup.path=/$4"
	echo "pod.qos=$(qos_name "$5") cgroup.scope=container"
}

check() { # name where... -- expect...
	name=$1
	shift
	out=$(ptcheck -t 20 -n "$name" /tmp/events.json "$@")
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$out"
		fail "$(echo "$out" | head -n 1 | cut -c 1-300)"
	else
		say "ok $name"
	fi
}

# --- scenarios ----------------------------------------------------------------

scenario_exit_code_7() { # mode driver
	uid=$(uuid) cid=$(container_id)
	rel=$("${2}_path" "$uid" "$cid" burstable)
	make_cgroup "$rel"
	unshare -p -f sh -c "$RUN_AS_INIT" sh "$CG/$rel" sh -c 'exit 7' &
	p=$!
	wait $p
	rc=$?
	[ $rc -eq 7 ] || fail "$1/$2 exit-code-7: the shell exited with $rc"
	check "$1/$2 exit-code-7" process.ppid=$p process.pidns_init=true -- \
		reason=ContainerExited type=Warning exit.code=7 exit.signal=0 exit.signal_name=null \
		exit.core_dumped=false process.main=true process.role_source=pid-namespace \
		process.comm=sh killer=null oom=null \
		$(attributed "$uid" "$cid" "$2" "$rel" burstable) \
		"message~main process " \
		"message~ (sh) in container $(echo "$cid" | cut -c 1-12) exited with code 7"
	# Without a pid namespace and a runtime's record nobody can tell: nothing is said.
	sh -c "$RUN_IN" sh "$CG/$rel" sh -c 'exit 6' &
	q=$!
	wait $q
	remove_cgroup "$rel"
}

scenario_child_segfault() { # mode driver
	uid=$(uuid) cid=$(container_id)
	rel=$("${2}_path" "$uid" "$cid" burstable)
	make_cgroup "$rel"
	# The parent lives on until the event has been checked (/tmp/go), 20 s at most.
	rm -f /tmp/go
	sh -c "$RUN_IN" sh "$CG/$rel" sh -c \
		'segv; i=0; while [ ! -e /tmp/go ] && [ $i -lt 400 ]; do usleep 50000; i=$((i + 1)); done' &
	p=$!
	check "$1/$2 child-segfault" process.ppid=$p exit.signal=11 -- \
		reason=ProcessCrashed type=Warning process.comm=segv process.main=false \
		exit.signal_name=SIGSEGV killer.from_kernel=true killer.self=true \
		$(attributed "$uid" "$cid" "$2" "$rel" burstable) \
		"message~died of SIGSEGV (signal 11)" "message~parent $p (sh)"
	kill -0 $p 2>/dev/null || fail "$1/$2 child-segfault: the parent did not live on"
	touch /tmp/go
	wait $p
	rc=$?
	[ $rc -eq 0 ] || fail "$1/$2 child-segfault: the parent exited with $rc"
	remove_cgroup "$rel"
}

scenario_sigkill_names_sender() { # mode driver
	uid=$(uuid) cid=$(container_id)
	rel=$("${2}_path" "$uid" "$cid" burstable)
	make_cgroup "$rel"
	rm -f /tmp/victim
	sh -c "$RUN_IN" sh "$CG/$rel" sh -c 'sleep 30 & echo $! > /tmp/victim.tmp; mv /tmp/victim.tmp /tmp/victim; wait' &
	p=$!
	i=0
	while [ ! -s /tmp/victim ] && [ $i -lt 200 ]; do
		usleep 50000
		i=$((i + 1))
	done
	victim=$(cat /tmp/victim)
	/bin/kill -KILL "$victim" &
	k=$!
	wait $k
	check "$1/$2 sigkill-sender" process.pid=$victim -- \
		reason=ProcessCrashed exit.signal=9 exit.signal_name=SIGKILL \
		killer.pid=$k killer.comm=kill killer.self=false killer.from_kernel=false \
		"message~was killed by SIGKILL (signal 9) sent by process $k (kill)" \
		$(attributed "$uid" "$cid" "$2" "$rel" burstable)
	wait $p
	remove_cgroup "$rel"
}

scenario_oom_kill() { # mode driver
	uid=$(uuid) cid=$(container_id)
	rel=$("${2}_path" "$uid" "$cid" burstable)
	make_cgroup "$rel"
	echo $((20 * MiB)) > "$CG/$rel/memory.max"
	echo 0 > "$CG/$rel/memory.swap.max" 2>/dev/null
	unshare -p -f sh -c "$RUN_AS_INIT" sh "$CG/$rel" hog 100 2>/dev/null &
	p=$!
	wait $p
	rss=""
	# The rss figures are in oom/mark_victim only on kernels that have them.
	if grep -q anon_rss /sys/kernel/tracing/events/oom/mark_victim/format 2>/dev/null; then
		rss="oom.anon_rss_bytes>$((10 * MiB)) message~anon-rss"
		say "oom/mark_victim has the rss fields: checking them"
	else
		say "oom/mark_victim has no rss fields on this kernel: not checking them"
	fi
	check "$1/$2 oom-kill" process.ppid=$p reason=OOMKilled -- \
		type=Warning oom.confined=true oom.memcg_limit_bytes=$((20 * MiB)) \
		oom.processes_killed=1 oom.group_kill=false process.main=true \
		container.id=$cid pod.uid=$uid cgroup.driver=$2 \
		"message~was OOM-killed: memory limit 20 MiB" $rss
	check "$1/$2 oom-exit" process.ppid=$p reason=ContainerExited -- \
		exit.signal=9 "message~was OOM-killed (memory limit 20 MiB)"
	remove_cgroup "$rel"
}

# memory.oom.group (the kubelet sets it on every container on cgroup v2): one OOM
# kill takes the whole container, a mark_victim for each process. One event.
scenario_group_oom() { # mode driver
	uid=$(uuid) cid=$(container_id)
	rel=$("${2}_path" "$uid" "$cid" burstable)
	make_cgroup "$rel"
	echo $((20 * MiB)) > "$CG/$rel/memory.max"
	echo 0 > "$CG/$rel/memory.swap.max" 2>/dev/null
	echo 1 > "$CG/$rel/memory.oom.group" || fail "$1/$2 group-oom: no memory.oom.group"
	# Two sleepers from the host's pid namespace: a pid-namespace init's death
	# would kill its own sleepers before the OOM killer could mark them.
	sh -c "$RUN_IN" sh "$CG/$rel" sleep 1000 &
	s1=$!
	sh -c "$RUN_IN" sh "$CG/$rel" sleep 1000 &
	s2=$!
	unshare -p -f sh -c "$RUN_AS_INIT" sh "$CG/$rel" sh -c 'usleep 300000; hog 100; true' 2>/dev/null &
	p=$!
	wait $p $s1 $s2
	check "$1/$2 group-oom" container.id=$cid reason=OOMKilled -- \
		type=Warning oom.confined=true oom.group_kill=true oom.processes_killed=4 \
		oom.memcg_limit_bytes=$((20 * MiB)) process.main=true process.comm=sh \
		"message~4 processes in container $(echo "$cid" | cut -c 1-12) were OOM-killed together (memory.oom.group): main process " \
		"message~ (sh), " "message~ (hog)" "message~ (sleep)" \
		"message~the OOM killer ran for an allocation by process "
	check "$1/$2 group-oom-exit" container.id=$cid reason=ContainerExited -- \
		process.main=true process.comm=sh exit.signal=9 "message~was OOM-killed"
	# Give any late duplicate the time to show, then count: exactly one OOMKilled.
	sleep 1
	n=$(grep '"reason":"OOMKilled"' /tmp/events.json | grep -c "$cid")
	[ "$n" -eq 1 ] || fail "$1/$2 group-oom: $n OOMKilled events, not 1"
	n=$(grep -c "$cid" /tmp/events.json)
	[ "$n" -eq 2 ] || fail "$1/$2 group-oom: $n events for the container, not 2 (OOMKilled, ContainerExited)"
	remove_cgroup "$rel"
}

# The node itself runs out of memory (no limit on the container): SystemOOM, attributed
# to the victim's pod and container.
scenario_system_oom() { # mode driver
	uid=$(uuid) cid=$(container_id)
	rel=$("${2}_path" "$uid" "$cid" besteffort)
	make_cgroup "$rel"
	unshare -p -f sh -c "$RUN_AS_INIT" sh "$CG/$rel" \
		sh -c 'echo 1000 > /proc/self/oom_score_adj; exec hog 450' 2>/dev/null &
	p=$!
	wait $p
	check "$1/$2 system-oom" container.id=$cid reason=SystemOOM -- \
		type=Warning oom.confined=false oom.processes_killed=1 pod.uid=$uid \
		process.comm=hog process.main=true \
		"message~main process " "message~ (hog) in container $(echo "$cid" | cut -c 1-12) was killed by the system OOM killer: the node ran out of memory"
	remove_cgroup "$rel"
}

scenario_pause_sandbox() { # mode driver
	uid=$(uuid) cid=$(container_id)
	rel=$("${2}_path" "$uid" "$cid" besteffort)
	make_cgroup "$rel"
	sh -c "$RUN_IN" sh "$CG/$rel" unshare -p -f /bin/pause &
	p=$!
	pp=""
	i=0
	while [ -z "$pp" ] && [ $i -lt 200 ]; do
		pp=$(pidof pause)
		[ -z "$pp" ] && usleep 50000
		i=$((i + 1))
	done
	if [ -z "$pp" ]; then
		fail "$1/$2 pause-sandbox: pause did not start"
		kill -KILL $p
		return
	fi
	/bin/kill -KILL "$pp" &
	k=$!
	wait $k
	wait $p
	check "$1/$2 pause-sandbox" process.pid=$pp -- \
		reason=SandboxChanged type=Warning process.sandbox=true process.pidns_init=true \
		process.ns_pid=1 killer.pid=$k killer.comm=kill pod.uid=$uid pod.qos=BestEffort \
		"message~sent by process $k (kill)" "message~the kubelet will re-create the sandbox"
	remove_cgroup "$rel"
}

# --- one podtrail per attach mode ------------------------------------------------

run_mode() {
	mode=$1
	: > /tmp/events.json
	: > /tmp/podtrail.err
	podtrail --output json -v "$VERBOSE" --attach "$mode" --metrics-address off > /tmp/events.json 2> /tmp/podtrail.err &
	pt=$!
	i=0
	while ! grep -q "attached" /tmp/podtrail.err && kill -0 $pt 2>/dev/null && [ $i -lt 600 ]; do
		usleep 100000
		i=$((i + 1))
	done
	if ! grep -q "attached" /tmp/podtrail.err; then
		say "podtrail stderr ($mode):"
		cat /tmp/podtrail.err
		# The verifier's verdict: the line before "processed N insns" of each log.
		verdict=$(awk '/BEGIN PROG LOAD LOG/ { prog = $3; gsub(/[^A-Za-z0-9_]/, "", prog) }
			/^processed [0-9]+ insns/ { printf "%s%s %s", sep, prog, prev; sep = "; " }
			{ prev = $0 }' /tmp/podtrail.err | cut -c 1-300)
		fail "$mode: podtrail did not attach: $(grep -v '^libbpf: ' /tmp/podtrail.err | tail -n 1 | cut -c 1-200)${verdict:+ [verifier: $verdict]}"
		kill -KILL $pt 2>/dev/null
		wait $pt
		return
	fi
	say "$(grep attached /tmp/podtrail.err)"

	for driver in cgroupfs systemd; do
		scenario_exit_code_7 "$mode" $driver
		scenario_child_segfault "$mode" $driver
		scenario_sigkill_names_sender "$mode" $driver
	done
	scenario_oom_kill "$mode" systemd
	scenario_group_oom "$mode" cgroupfs
	scenario_system_oom "$mode" cgroupfs
	scenario_pause_sandbox "$mode" cgroupfs
	# 200 boring exits: counted in the kernel, never sent.
	for i in $(seq 200); do /bin/true; done

	kill -INT $pt
	wait $pt
	rc=$?
	[ $rc -eq 0 ] || fail "$mode: podtrail exited with $rc"
	if grep -q '"code":6' /tmp/events.json; then
		fail "$mode: a first process without a pid namespace was called a container's main process"
	fi
	totals=$(grep 'totals:' /tmp/podtrail.err)
	say "$totals"
	case " $totals " in
	*" lost=0 "*) ;;
	*) fail "$mode: events were lost: $totals" ;;
	esac
	case " $totals " in
	*" decode_errors=0 "*) ;;
	*) fail "$mode: decode errors: $totals" ;;
	esac
	filtered=$(echo "$totals" | sed -n 's/.* filtered_in_kernel=\([0-9]*\).*/\1/p')
	[ "${filtered:-0}" -ge 200 ] || fail "$mode: only ${filtered:-0} boring exits were filtered in the kernel"
	if [ -s $FAILS ]; then
		say "podtrail stderr ($mode):"
		grep -v '^libbpf: ' /tmp/podtrail.err | tail -n 20
	fi
}

for mode in $ATTACH_MODES; do
	run_mode "$mode"
done
finish
