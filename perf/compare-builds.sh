#!/usr/bin/env bash
# Compare engine builds inside one JVM (perf/README.md section 8): for changes too small to see across JVMs.
#   perf/compare-builds.sh [-rounds N] [-warm N] [-runs N] [-shape chain|independent|oneTask|pipeline|overlap]
#     [-pin false] BUILD...
# BUILD is a git revision (built here), a shaded engine jar (demo/target/simpler-demo.jar of some checkout), or
# completableFuture (the thenRunAsync chain baseline, whatever the shape: also the pipeline's dependency structure).
# The first build is the one the others are compared with.
#   perf/compare-builds.sh HEAD~1 HEAD completableFuture
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PERF="$ROOT/perf"
JAR="$PERF/target/benchmarks.jar"
OUT="$PERF/target/compare"
mkdir -p "$OUT"

if [[ ! -f "$JAR" ]] || ! jar tf "$JAR" | grep -q 'dev/simpler/perf/compare/CompareBuilds.class'; then
  echo "building $JAR"
  (cd "$ROOT" && mvn -B -q -pl mailbox,engine,jni,perf -am package -DskipTests)
fi

ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -rounds|-warm|-runs|-shape|-pin) ARGS+=("$1" "$2"); shift 2; continue ;;
    completableFuture) ARGS+=("$1") ;;
    *)
      if [[ -f "$1" ]]; then
        ARGS+=("$1")
      else
        rev="$(cd "$ROOT" && git rev-parse --short "$1")"
        built="$OUT/$rev.jar"
        if [[ ! -f "$built" ]]; then
          echo "building $1 ($rev)"
          tree="$OUT/tree-$rev"
          rm -rf "$tree"
          (cd "$ROOT" && git worktree add -q --detach "$tree" "$rev")
          if ! (cd "$tree" && mvn -B -q -pl mailbox,engine,jni,demo -am package -DskipTests -Dcheckstyle.skip); then
            (cd "$ROOT" && git worktree remove --force "$tree")
            echo "build of $1 failed" >&2
            exit 1
          fi
          cp "$tree/demo/target/simpler-demo.jar" "$built"
          (cd "$ROOT" && git worktree remove --force "$tree")
        fi
        ARGS+=("$built")
      fi
      ;;
  esac
  shift
done

exec java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-opens java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-opens java.base/java.nio=ALL-UNNAMED \
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  -cp "$JAR" dev.simpler.perf.compare.CompareBuilds "${ARGS[@]}"
