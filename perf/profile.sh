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
AP_VERSION="${AP_VERSION:-4.2}"
AP_DIR="$PERF/target/async-profiler"

if [[ ! -f "$JAR" ]]; then
  echo "building $JAR"
  (cd "$ROOT" && mvn -B -q -pl mailbox,engine,jni,perf -am package -DskipTests)
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PLATFORM=linux-x64 ;;
  Linux-aarch64) PLATFORM=linux-arm64 ;;
  Darwin-*) PLATFORM=macos ;;
  *) echo "async-profiler has no library for $(uname -sm)" >&2; exit 1 ;;
esac
LIB="$AP_DIR/$PLATFORM/libasyncProfiler.so"
if [[ ! -f "$LIB" ]]; then
  mkdir -p "$AP_DIR"
  (cd "$ROOT" && mvn -B -q dependency:copy -Dartifact="tools.profiler:async-profiler:$AP_VERSION" \
    -DoutputDirectory="$AP_DIR")
  (cd "$AP_DIR" && jar xf "async-profiler-$AP_VERSION.jar" "$PLATFORM/libasyncProfiler.so")
fi

# EVENT=wall (where threads wait) or EVENT=alloc (allocation sites) can be set by the caller. By default:
# perf_events needs perf_event_paranoid <= 1 (or root, or CAP_PERFMON) and a kernel/VM that exposes it.
if [[ -z "${EVENT:-}" ]]; then
  EVENT=cpu
  PARANOID="$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3)"
  if [[ "$(id -u)" != 0 && "$PARANOID" -gt 1 ]]; then
    EVENT=itimer
  elif ! java -agentpath:"$LIB"=start,event=cpu,file=/dev/null -version >/dev/null 2>&1; then
    EVENT=itimer
  fi
fi
echo "async-profiler $AP_VERSION, event=$EVENT"

OUT="$PERF/results/flamegraphs"
mkdir -p "$OUT"
REGEX="$1"
shift
java -jar "$JAR" "$REGEX" "$@" -prof "async:libPath=$LIB;output=flamegraph;event=$EVENT;threads=true;dir=$OUT"
echo "flame graphs under $OUT:"
find "$OUT" -name '*.html' -newer "$LIB" | sort
