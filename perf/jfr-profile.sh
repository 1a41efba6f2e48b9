#!/usr/bin/env bash
# One JFR file with the engine's JFR events (dev.simpler.Run, dev.simpler.Task; SPEC §14) and async-profiler's CPU
# samples side by side: async-profiler (tools.profiler:async-profiler, Maven Central, fetched like perf/profile.sh
# does) starts a JFR recording of those events in sync with its own sampling ("jfrsync") and writes both into one
# file. Open it in JDK Mission Control, or print it with `jfr print --events dev.simpler.Task <file>`.
#   perf/jfr-profile.sh <out.jfr> <java arguments...>
# e.g.
#   perf/jfr-profile.sh simpler.jfr --add-opens java.base/jdk.internal.misc=ALL-UNNAMED \
#     -cp demo/target/simpler-demo.jar dev.simpler.demo.PipelineDemo
# EVENT=itimer (or wall) in the environment samples something else; cpu (perf_events) falls back to itimer where the
# kernel does not allow it.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 <out.jfr> <java arguments...>" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=perf/async-profiler.sh
source "$ROOT/perf/async-profiler.sh"
ap_library "$ROOT"
ap_event
OUT="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
echo "async-profiler $AP_VERSION, event=$EVENT, JFR events dev.simpler.Run and dev.simpler.Task -> $OUT"
exec java -agentpath:"$LIB"=start,event="$EVENT",interval=1ms,jfrsync=+dev.simpler.Run+dev.simpler.Task,file="$OUT" "$@"
