#!/usr/bin/env bash
# SPEC §12's three remote rows (perf/README.md section 13): one-task round trip against a raw Aeron echo, throughput
# of tiny tasks with k lanes per node against one, and a 64 MiB INOUT tensor against the raw echo of the same bytes.
#   perf/remote-bench.sh [--loopback] [--build] [--lanes K] [--rounds N] [--samples N] [--seconds S] [--rows 123]
#     [--busy-spin]
#   JAVA_OPTS='-Daeron.rcv.initial.window.length=2097152' perf/remote-bench.sh     # options for every child JVM
#   BENCH_OPTS='-agentpath:...' perf/remote-bench.sh --rows 2     # options for the L4 JVM only (e.g. a profiler)
#   NODE_OPTS='-agentpath:...=start,file=/tmp/node-%p.txt,...'     # options for both node JVMs
# Starts two nodes (remote/target/simpler-node.jar), a raw echo peer on node 1's host and the L4
# (dev.simpler.perf.remote.RemoteBenchmark), each a JVM of its own: in network namespaces simpler-rb-<pid>-{l4,n1,n2}
# linked by veth pairs on 198.18.0.0/15 when `ip netns add` works (root), else on loopback 127.0.0.x. Everything it
# starts or makes is removed when it exits, also on failure or a signal, and a later run sweeps what a killed run
# left. Logs and results: perf/target/remote-bench/<run>/. Builds perf and its modules first when their jars are
# missing or with --build (MVN_FLAGS=-o for an offline build). Bounded: about 2 minutes of measuring, 4 at most.
# --busy-spin: rows 1 and 3 on hosts with cores to spare: node 1 (--wait-strategy BUSY_SPIN), the echo peer and the
# L4's Worker, lane and raw echo client busy-spin, and their media drivers spin a sender and a receiver each (about
# 13 spinning threads: give it 16 cores); node 2 and row 2's lanes keep backing off.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PERF="$ROOT/perf"
JAR="$PERF/target/benchmarks.jar"
NODE_JAR="$ROOT/remote/target/simpler-node.jar"
RUN="simpler-rb-$$"
OUT="$PERF/target/remote-bench/$RUN"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# Every child JVM: the remote module's opens (remote/pom.xml), then JAVA_OPTS (e.g. Aeron system properties).
# shellcheck disable=SC2206 # JAVA_OPTS holds several options
OPENS=(--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED ${JAVA_OPTS:-})
LINE_TIMEOUT_S=60
BENCH_TIMEOUT_S=240

LOOPBACK=false
BUILD=false
BENCH_ARGS=()
STRATEGY=BACKOFF
while [[ $# -gt 0 ]]; do
  case "$1" in
    --loopback) LOOPBACK=true; shift ;;
    --build) BUILD=true; shift ;;
    --lanes|--rounds|--samples|--seconds|--rows) BENCH_ARGS+=("$1" "$2"); shift 2 ;;
    --busy-spin) STRATEGY=BUSY_SPIN; shift ;;
    *) echo "usage: $0 [--loopback] [--build] [--lanes K] [--rounds N] [--samples N] [--seconds S] [--rows 123]" \
      "[--busy-spin]" >&2
      exit 2 ;;
  esac
done

if [[ $STRATEGY == BUSY_SPIN ]] && (($(nproc) < 13)); then
  echo "warning: --busy-spin spins about 13 threads and this machine has $(nproc) CPUs: they will take turns," \
    "and the rows will measure the scheduler" >&2
fi

PIDS=()
NAMESPACES=()

# The JVMs this run started get -Dsimpler.rb.run=<run>: a sweep kills a pid of a dead run only when it still carries it.
alive_run() {
  local owner="$1"
  [[ -r "/proc/$owner/cmdline" ]] && tr '\0' ' ' < "/proc/$owner/cmdline" | grep -q 'remote-bench.sh'
}

# What a JVM killed before its own cleanup leaves in /dev/shm: its engine's files and its media driver's directory.
remove_shm_of() {
  local pid="$1"
  rm -rf "/dev/shm/simpler-$pid-"* "/dev/shm/simpler-aeron-$pid-"*
}

# Namespaces and children of earlier runs of this script whose shell is gone.
sweep() {
  local ns owner pid dir
  if command -v ip > /dev/null; then
    for ns in $(ip netns list 2> /dev/null | awk '{print $1}' | grep '^simpler-rb-[0-9]*-' || true); do
      owner="${ns#simpler-rb-}"
      owner="${owner%%-*}"
      if ! alive_run "$owner"; then
        for pid in $(ip netns pids "$ns" 2> /dev/null || true); do
          kill -KILL "$pid" 2> /dev/null || true
          remove_shm_of "$pid"
        done
        ip netns del "$ns" 2> /dev/null || true
        echo "swept namespace $ns of an earlier run"
      fi
    done
  fi
  for dir in "$PERF/target/remote-bench/simpler-rb-"*; do
    [[ -f "$dir/pids" ]] || continue
    owner="${dir##*/simpler-rb-}"
    alive_run "$owner" && continue
    while read -r pid; do
      if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-Dsimpler.rb.run=${dir##*/} "
      then
        kill -KILL "$pid" 2> /dev/null || true
        echo "swept process $pid of an earlier run"
      fi
      remove_shm_of "$pid"
    done < "$dir/pids"
    rm -f "$dir/pids" "$dir/secret"
  done
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  local pid tries
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2> /dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for tries in $(seq 50); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    remove_shm_of "$pid"
  done
  for ns in "${NAMESPACES[@]}"; do
    ip netns del "$ns" 2> /dev/null || true
  done
  rm -f "$OUT/pids" "$OUT/secret"
  if [[ $status -ne 0 ]]; then
    echo "remote-bench: stopped with status $status; its processes, namespaces and /dev/shm files are removed" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# start_child NAME NAMESPACE (or "") COMMAND...: in the background, its output in $OUT/NAME.log.
start_child() {
  local name="$1" ns="$2"
  shift 2
  if [[ -n "$ns" ]]; then
    ip netns exec "$ns" "$@" > "$OUT/$name.log" 2>&1 &
  else
    "$@" > "$OUT/$name.log" 2>&1 &
  fi
  PIDS+=("$!")
  echo "$!" >> "$OUT/pids"
}

# await_line NAME PREFIX: print the rest of the first line of NAME's log that starts with PREFIX.
await_line() {
  local name="$1" prefix="$2" pid="${PIDS[-1]}" line
  local deadline=$((SECONDS + LINE_TIMEOUT_S))
  if [[ $# -gt 2 ]]; then
    pid="$3"
  fi
  while true; do
    line="$(grep -m 1 "^$prefix" "$OUT/$name.log" || true)"
    if [[ -n "$line" ]]; then
      echo "${line#"$prefix"}"
      return
    fi
    if ! kill -0 "$pid" 2> /dev/null || ((SECONDS > deadline)); then
      echo "$name did not print \"$prefix\" within $LINE_TIMEOUT_S s; its log ($OUT/$name.log):" >&2
      tail -n 20 "$OUT/$name.log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

sweep
mkdir -p "$OUT"

if $BUILD || [[ ! -f "$JAR" || ! -f "$NODE_JAR" ]] \
  || ! unzip -l "$JAR" 'dev/simpler/perf/remote/RemoteBenchmark.class' > /dev/null 2>&1; then
  echo "building $JAR and $NODE_JAR"
  # shellcheck disable=SC2086 # MVN_FLAGS holds several flags
  (cd "$ROOT" && mvn -B -q ${MVN_FLAGS:-} -pl perf -am package -DskipTests -Djcstress.skip)
fi

if ! $LOOPBACK && ip netns add "$RUN-l4" 2> /dev/null; then
  NAMESPACES+=("$RUN-l4")
  for role in n1 n2; do
    ip netns add "$RUN-$role"
    NAMESPACES+=("$RUN-$role")
  done
  for ns in "${NAMESPACES[@]}"; do
    ip -n "$ns" link set lo up
  done
  for i in 1 2; do
    ip -n "$RUN-l4" link add "rb${i}a" type veth peer name "rb${i}b" netns "$RUN-n$i"
    ip -n "$RUN-l4" addr add "198.18.$i.1/24" dev "rb${i}a"
    ip -n "$RUN-n$i" addr add "198.18.$i.2/24" dev "rb${i}b"
    ip -n "$RUN-l4" link set "rb${i}a" up
    ip -n "$RUN-n$i" link set "rb${i}b" up
  done
  L4_NS="$RUN-l4"
  N1_NS="$RUN-n1"
  N2_NS="$RUN-n2"
  N1_HOST=198.18.1.2
  N2_HOST=198.18.2.2
  echo "hosts: network namespaces $RUN-{l4,n1,n2}, veth pairs 198.18.1.1 <-> 198.18.1.2 and 198.18.2.1 <-> 198.18.2.2"
else
  L4_NS=""
  N1_NS=""
  N2_NS=""
  N1_HOST=127.0.0.2
  N2_HOST=127.0.0.3
  echo "hosts: loopback, nodes on $N1_HOST and $N2_HOST"
fi

head -c 32 /dev/urandom > "$OUT/secret"
chmod 600 "$OUT/secret"
TAG="-Dsimpler.rb.run=$RUN"

# shellcheck disable=SC2086 # NODE_OPTS holds several options
start_child node1 "$N1_NS" "$JAVA" "${OPENS[@]}" ${NODE_OPTS:-} "$TAG" -Xmx512m -jar "$NODE_JAR" --listen "$N1_HOST:0" \
  --secret-file "$OUT/secret" --sub-workers 1 --wait-strategy "$STRATEGY"
NODE1_PID="${PIDS[-1]}"
# shellcheck disable=SC2086 # NODE_OPTS holds several options
start_child node2 "$N2_NS" "$JAVA" "${OPENS[@]}" ${NODE_OPTS:-} "$TAG" -Xmx512m -jar "$NODE_JAR" --listen "$N2_HOST:0" \
  --secret-file "$OUT/secret" --sub-workers 1
NODE2_PID="${PIDS[-1]}"
start_child echo "$N1_NS" "$JAVA" "${OPENS[@]}" "$TAG" -Xmx256m -cp "$JAR" dev.simpler.perf.remote.RawEchoPeer \
  --listen "$N1_HOST:0" --wait-strategy "$STRATEGY"
ECHO_PID="${PIDS[-1]}"
NODE1="$(await_line node1 'simpler-node listening on ' "$NODE1_PID")"
NODE2="$(await_line node2 'simpler-node listening on ' "$NODE2_PID")"
ECHO="$(await_line echo 'raw-echo listening on ' "$ECHO_PID")"

echo "before: $(uptime)" | tee "$OUT/results.txt"
# shellcheck disable=SC2086 # BENCH_OPTS holds several options
start_child bench "$L4_NS" "$JAVA" "${OPENS[@]}" ${BENCH_OPTS:-} "$TAG" -Xmx1g -cp "$JAR" dev.simpler.perf.remote.RemoteBenchmark \
  --secret-file "$OUT/secret" --node1 "$NODE1" --node2 "$NODE2" --echo "$ECHO" --pids "$NODE1_PID,$NODE2_PID,$ECHO_PID" \
  --wait-strategy "$STRATEGY" "${BENCH_ARGS[@]}"
BENCH_PID="${PIDS[-1]}"
tail -n +1 -f "$OUT/bench.log" --pid "$BENCH_PID" &
TAIL_PID=$!
PIDS+=("$TAIL_PID")
deadline=$((SECONDS + BENCH_TIMEOUT_S))
while kill -0 "$BENCH_PID" 2> /dev/null && ((SECONDS <= deadline)); do
  sleep 1
done
if kill -0 "$BENCH_PID" 2> /dev/null; then
  echo "the benchmark did not finish within $BENCH_TIMEOUT_S s: stopping it" >&2
  kill -TERM "$BENCH_PID"
fi
status=0
wait "$BENCH_PID" || status=$?
wait "$TAIL_PID" 2> /dev/null || true
cat "$OUT/bench.log" >> "$OUT/results.txt"
echo "after: $(uptime)" | tee -a "$OUT/results.txt"
if [[ $status -ne 0 ]]; then
  echo "the benchmark exited with status $status; node logs in $OUT" >&2
  exit "$status"
fi
echo "results in $OUT/results.txt"
