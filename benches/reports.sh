#!/usr/bin/env bash
# The analytics reports and a leaderboard at scale, through HTTP on a release build:
#   benches/reports.sh sqlite|postgres [MEMBERS] [ENTRIES] [RANKED]
# writes the program `bulk` (`fidelio demo --bulk-members MEMBERS --bulk-entries ENTRIES`,
# default 1,000,000 and 10,000,000) into a fresh database, ranks RANKED of its members
# (default 100,000) on its weekly leaderboard, then times each report and the leaderboard (with
# a middle member's rank and neighbours): the best and the median of 5 reads, in milliseconds.
# On PostgreSQL it uses the database `fidelio_reports_bench` of FIDELIO_BENCH_POSTGRES
# (default postgres://postgres@127.0.0.1:5432), dropped first.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:?usage: benches/reports.sh sqlite|postgres [MEMBERS] [ENTRIES] [RANKED]}"
members="${2:-1000000}"
entries="${3:-10000000}"
ranked="${4:-100000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fidelio-target}"
cargo build --release --quiet
fidelio="$CARGO_TARGET_DIR/release/fidelio"

work=$(mktemp -d /tmp/fidelio-reports.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

case "$backend" in
sqlite)
    export DATABASE_URL="$work/reports.db"
    sql() { sqlite3 "$DATABASE_URL"; }
    ;;
postgres)
    server="${FIDELIO_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
    psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS fidelio_reports_bench" \
        -c "CREATE DATABASE fidelio_reports_bench"
    export DATABASE_URL="$server/fidelio_reports_bench"
    sql() { psql -qtA -v ON_ERROR_STOP=1 "$DATABASE_URL"; }
    ;;
*)
    echo "backend: sqlite or postgres" >&2
    exit 2
    ;;
esac

password=bench-password-1
"$fidelio" admin create --email bench@example.com --password "$password" >/dev/null
start=$SECONDS
"$fidelio" demo --bulk-members "$members" --bulk-entries "$entries" --admin-email bench@example.com
echo "written in $((SECONDS - start)) s"

# Scores for the leaderboard's period `bench`: distinct members, many ties.
start=$SECONDS
sql <<SQL
INSERT INTO leaderboard_scores (leaderboard_id, period_key, member_id, score, reached_seq, updated_at)
SELECT e.id, 'bench', m.id, (m.id * 7919) % 5000, m.id, m.enrolled_at
FROM game_elements e JOIN programs p ON p.id = e.program_id
JOIN members m ON m.program_id = p.id
WHERE p.slug = 'bulk' AND e.slug = 'weekly-stars' AND m.id % ($members / $ranked) = 0;
SQL
echo "ranked in $((SECONDS - start)) s"
# Planner statistics, as autovacuum would soon gather them (PostgreSQL's plans for the summary's
# counts are 6x slower without them right after a bulk load).
echo "ANALYZE;" | sql
middle=$(echo "SELECT external_id FROM members m JOIN leaderboard_scores s ON s.member_id = m.id
    WHERE s.period_key = 'bench' ORDER BY s.score LIMIT 1 OFFSET $((ranked / 2));" | sql | tr -d ' ')

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
FIDELIO_LOG=warn FIDELIO_TICK_INTERVAL=0 "$fidelio" serve --bind "127.0.0.1:$port" >"$work/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -sf "$base/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\": \"bench@example.com\", \"password\": \"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

program="$base/v1/admin/programs/bulk"
printf '\n%-60s %9s %9s\n' "read ($members members, $entries entries)" "best ms" "median ms"
for path in analytics/summary analytics/cohorts analytics/liability analytics/engagement \
    analytics/members/bulk-1 "leaderboards/weekly-stars/standings?period=bench&member=$middle"; do
    times=()
    for _ in 1 2 3 4 5; do
        times+=("$(curl -sf -o /dev/null -w '%{time_total}' -H "authorization: Bearer $token" "$program/$path")")
    done
    sorted=$(printf '%s\n' "${times[@]}" | sort -g)
    best=$(echo "$sorted" | head -1)
    median=$(echo "$sorted" | sed -n 3p)
    awk -v path="${path%%\?*}" -v best="$best" -v median="$median" \
        'BEGIN { printf "%-60s %9.1f %9.1f\n", path, best * 1000, median * 1000 }'
done
