#!/usr/bin/env bash
# Flame graph (HTML) of any benchmark with async-profiler, fetched from Maven Central.
#   perf/profile.sh <benchmark regex> [extra JMH args]
# e.g. perf/profile.sh 'RoundTripBenchmark.engineOneTask' -p mode=THREAD -p strategy=BUSY_SPIN
# Output: perf/results/flamegraphs/<benchmark>-<params>/flame-<event>-forward.html (and -reverse), per thread.
# EVENT=wall or EVENT=alloc in the environment profiles waiting or allocation instead of CPU.
# Uses perf_events (event=cpu) when the kernel allows it, else falls back to event=itimer.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <benchmark regex> [extra JMH args]" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PERF="$ROOT/perf"
JAR="$PERF/target/benchmarks.jar"
if [[ ! -f "$JAR" ]]; then
  echo "building $JAR"
  (cd "$ROOT" && mvn -B -q -pl mailbox,engine,jni,perf -am package -DskipTests)
fi

# shellcheck source=perf/async-profiler.sh
source "$PERF/async-profiler.sh"
ap_library "$ROOT"
# EVENT=wall (where threads wait) or EVENT=alloc (allocation sites) can be set by the caller.
ap_event
echo "async-profiler $AP_VERSION, event=$EVENT"

OUT="$PERF/results/flamegraphs"
mkdir -p "$OUT"
REGEX="$1"
shift
java -jar "$JAR" "$REGEX" "$@" -prof "async:libPath=$LIB;output=flamegraph;event=$EVENT;threads=true;dir=$OUT"
echo "flame graphs under $OUT:"
find "$OUT" -name '*.html' -newer "$LIB" | sort
