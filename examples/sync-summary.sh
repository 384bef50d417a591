#!/bin/sh
# sync-summary.sh: the tick script the sync client runs after each push or pull round.
#
# Install it as state/bin/sync/sync-summary.sh (next to SYNC_ALLOW and SYNC_DENY). It folds the
# new lines of state/log/sync-events.ndjson into the dashboard, snapshot, alerts, KV tallies and
# cost aggregates, and says nothing when all is well. When something is wrong (an open alert, a
# stale machine, a rejected line, a log with nothing new for 24h) it prints one line per reason
# on stderr; errors of syncscope itself are printed as they come. Exit status: syncscope's (0 unless
# the run failed), or 1 with SYNC_SUMMARY_STRICT=1 when the health is not ok.
#
# Environment: SYNCSCOPE (the command, default: syncscope on PATH), SYNCSCOPE_ARGS (extra run
# flags, e.g. "--kv-url https://status.example.com"), SYNC_SUMMARY_STRICT.
set -u

case "${1:-}" in
  -h|--help)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  '') ;;
  *) echo "sync-summary.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd) || exit 2
state=$(dirname -- "$(dirname -- "$here")")
syncscope=${SYNCSCOPE:-syncscope}

# shellcheck disable=SC2086 # SYNCSCOPE_ARGS is a list of flags on purpose
summary=$($syncscope run "$state/log/sync-events.ndjson" --state "$state" --quiet --format json ${SYNCSCOPE_ARGS:-})
status=$?
[ "$status" -eq 0 ] || exit "$status"

# The summary is one JSON object; node is there (syncscope runs on it).
printf '%s' "$summary" | node -e '
  let text = "";
  process.stdin.on("data", (d) => { text += d; }).on("end", () => {
    const { health } = JSON.parse(text);
    if (health.level === "ok") return;
    for (const reason of health.reasons) process.stderr.write(`syncscope: ${health.level}: ${reason}\n`);
    if (process.env.SYNC_SUMMARY_STRICT === "1") process.exitCode = 1;
  });
'
