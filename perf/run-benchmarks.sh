#!/usr/bin/env bash
# Run the JMH suite and write the report.
#   perf/run-benchmarks.sh [quick|full] [extra JMH args, e.g. a benchmark regex]
# quick: 1 fork, 1 x 1 s warm-up, 2 x 1 s measurement (a few minutes on 2 cores); full: the annotations' defaults.
# Writes perf/results/<profile>-<timestamp>.json (+ -gc.json for the -prof gc run of the engine benchmarks),
# perf/results/latest.md and perf/results/latency.svg, and copies the table into perf/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PERF="$ROOT/perf"
JAR="$PERF/target/benchmarks.jar"
PROFILE="${1:-quick}"
shift || true

case "$PROFILE" in
  quick) JMH_OPTS=(-f 1 -wi 1 -w 1s -i 2 -r 1s) ;;
  full) JMH_OPTS=() ;;
  *) echo "usage: $0 [quick|full] [extra JMH args]" >&2; exit 2 ;;
esac

# Build when missing, or when the jar predates the report generator. After changing benchmarks, rebuild with
# the mvn command below (or delete the jar).
if [[ ! -f "$JAR" ]] || ! jar tf "$JAR" | grep -q 'dev/simpler/perf/report/ReportMain.class'; then
  echo "building $JAR"
  (cd "$ROOT" && mvn -B -q -pl mailbox,engine,jni,perf -am package -DskipTests)
fi

RESULTS="$PERF/results"
mkdir -p "$RESULTS"
STAMP="$(date +%Y%m%d-%H%M%S)"
MAIN_JSON="$RESULTS/$PROFILE-$STAMP.json"
GC_JSON="$RESULTS/$PROFILE-$STAMP-gc.json"

echo "== latency and throughput -> $MAIN_JSON"
java -jar "$JAR" "${JMH_OPTS[@]}" "$@" -rf json -rff "$MAIN_JSON"

# The allocation row: the engine benchmarks (methods named engine<Shape>) again under the gc profiler. Extra
# args that are a benchmark regex would widen this run, so only JMH options (starting with -) are passed on.
GC_ARGS=()
skip_value=0
for a in "$@"; do
  if [[ $skip_value == 1 ]]; then GC_ARGS+=("$a"); skip_value=0; continue; fi
  if [[ "$a" == -* ]]; then GC_ARGS+=("$a"); skip_value=1; fi
done
echo "== allocation (-prof gc) -> $GC_JSON"
# Run in AverageTime mode: SampleTime's own per-sample bookkeeping allocates in the benchmark thread and would be
# counted as the engine's.
if ! java -jar "$JAR" '\.engine[A-Z]' "${JMH_OPTS[@]}" "${GC_ARGS[@]}" -bm avgt -prof gc -rf json -rff "$GC_JSON"; then
  echo "warning: the -prof gc run failed; the allocation row will say 'not run'" >&2
  echo "[]" > "$GC_JSON"
fi

java -cp "$JAR" dev.simpler.perf.report.ReportMain "$MAIN_JSON" "$GC_JSON" \
  "$RESULTS/latest.md" "$RESULTS/latency.svg"

# Copy the table into perf/README.md between the markers, with the plot linked relative to perf/.
README="$PERF/README.md"
if [[ -f "$README" ]] && grep -q '<!-- results:begin -->' "$README"; then
  TMP="$(mktemp)"
  awk -v table="$RESULTS/latest.md" '
    /<!-- results:begin -->/ { print; print ""; while ((getline line < table) > 0) { gsub(/\]\(latency\.svg\)/, "](results/latency.svg)", line); print line }; print ""; skipping = 1; next }
    /<!-- results:end -->/ { skipping = 0 }
    !skipping { print }
  ' "$README" > "$TMP"
  mv "$TMP" "$README"
  echo "updated $README"
fi
echo "report: $RESULTS/latest.md, plot: $RESULTS/latency.svg"
