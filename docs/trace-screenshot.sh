#!/usr/bin/env bash
# Renders the trace page (SPEC §14) of the demo's diamond pipeline in THREAD and in PROCESS mode with a headless
# Chromium, into docs/trace-thread.png and docs/trace-process.png.
#   docs/trace-screenshot.sh            # builds the demo jar when missing; installs chromium (apt) when missing
# The traces themselves (JSON and HTML) are left in target/trace-screenshots/.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="$ROOT/demo/target/simpler-demo.jar"
OUT="$ROOT/target/trace-screenshots"

if [[ ! -f "$JAR" ]]; then
  echo "building $JAR"
  (cd "$ROOT" && mvn -B -q -pl mailbox,engine,jni,demo -am install -DskipTests)
fi
if ! command -v chromium >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y chromium >/dev/null
  else
    echo "chromium is not installed: apt-get install -y chromium (as root)" >&2
    exit 1
  fi
fi

mkdir -p "$OUT"
for MODE in THREAD PROCESS; do
  NAME="trace-$(echo "$MODE" | tr 'A-Z' 'a-z')"
  java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -cp "$JAR" dev.simpler.demo.TraceDemo "$MODE" \
    "$OUT/$NAME.json"
  # --no-sandbox: Chromium refuses to run as root otherwise; the page is our own, with no network access.
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1600,430 \
    --screenshot="$ROOT/docs/$NAME.png" "file://$OUT/$NAME.html" 2>/dev/null
  echo "docs/$NAME.png from $OUT/$NAME.html"
done
