# Sourced by perf/profile.sh and perf/jfr-profile.sh (not run on its own): async-profiler's native library, fetched
# from Maven Central (tools.profiler:async-profiler, the jar carries the library) into perf/target/async-profiler
# on first use, and the sampling event to use.
#   ap_library ROOT   sets AP_VERSION (default 4.2, or from the environment) and LIB, the library's path
#   ap_event          sets EVENT, unless the environment did: cpu (perf_events) where the kernel allows it, else
#                     itimer

ap_library() {
  local root="$1"
  AP_VERSION="${AP_VERSION:-4.2}"
  local dir="$root/perf/target/async-profiler" platform
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) platform=linux-x64 ;;
    Linux-aarch64) platform=linux-arm64 ;;
    Darwin-*) platform=macos ;;
    *) echo "async-profiler has no library for $(uname -sm)" >&2; exit 1 ;;
  esac
  LIB="$dir/$platform/libasyncProfiler.so"
  if [[ ! -f "$LIB" ]]; then
    mkdir -p "$dir"
    (cd "$root" && mvn -B -q dependency:copy -Dartifact="tools.profiler:async-profiler:$AP_VERSION" \
      -DoutputDirectory="$dir")
    (cd "$dir" && jar xf "async-profiler-$AP_VERSION.jar" "$platform/libasyncProfiler.so")
  fi
}

ap_event() {
  if [[ -n "${EVENT:-}" ]]; then
    return
  fi
  EVENT=cpu
  local paranoid
  paranoid="$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3)"
  if [[ "$(id -u)" != 0 && "$paranoid" -gt 1 ]]; then
    EVENT=itimer
  elif ! java -agentpath:"$LIB"=start,event=cpu,file=/dev/null -version >/dev/null 2>&1; then
    EVENT=itimer
  fi
}
