#!/usr/bin/env bash
# The CLI benchmark's second baseline: what a shell user writes with curl
# and jq to get the same CSV as `connecty ask ... --format csv`.
#
#     CONNECTY_CLIENT_ID=... CONNECTY_CLIENT_SECRET=... \
#         bash ask_csv.sh BASE_URL DW_ID QUESTION MAX_ROWS > answer.csv
#
# The same four calls as connecty: exchange the credentials for a token, ask
# the question, poll its results (include=dataframe, max_rows) on connecty's
# default schedule (first poll at once, then 250 ms, x1.5, at most 5 s) until
# COMPLETED, and write the dataframe with `jq -r '.results.dataframe[] | @csv'`.
# curl sends Accept-Encoding and decodes gzip (--compressed), so the server
# does the same work as for the other programs. Each poll's body is read by
# one jq, which either writes the CSV (COMPLETED) or says to poll again, so
# the large body is parsed once, as in the other programs.
set -euo pipefail

if [ $# -ne 4 ]; then
    echo "usage: ask_csv.sh BASE_URL DW_ID QUESTION MAX_ROWS" >&2
    exit 2
fi
base=${1%/}
dw=$2
question=$3
max_rows=$4

# -q: ignore ~/.curlrc; --fail: an HTTP error is an exit status.
call() {
    curl -q --silent --show-error --fail --compressed \
        -H 'Accept: application/json' "$@"
}

# The credentials go from the environment into the body inside jq, never
# onto a command line (the process list is public).
token=$(jq -n '{client_id: env.CONNECTY_CLIENT_ID, client_secret: env.CONNECTY_CLIENT_SECRET}' |
    call -H 'Content-Type: application/json' --data-binary @- "$base/v1/auth/token" |
    jq -r .access_token)

question_id=$(jq -n --arg q "$question" '{question: $q}' |
    call -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary @- "$base/v1/dw/$dw/questions" |
    jq -r .question_id)

url="$base/v1/dw/$dw/questions/$question_id/results?include=dataframe&max_rows=$max_rows"
body=$(mktemp)
trap 'rm -f "$body"' EXIT
delay=0.25
while :; do
    call -H "Authorization: Bearer $token" -o "$body" "$url"
    # Exit 0: COMPLETED, the CSV is on stdout; 75: not yet; other: failed.
    status=0
    jq -r '
        if .state == "COMPLETED" then .results.dataframe[] | @csv
        elif .state == "FAILED" then "question failed\n" | halt_error(1)
        else "" | halt_error(75)
        end' "$body" || status=$?
    if [ "$status" -eq 0 ]; then
        break
    elif [ "$status" -ne 75 ]; then
        exit "$status"
    fi
    sleep "$delay"
    delay=$(awk -v d="$delay" 'BEGIN { d *= 1.5; if (d > 5) d = 5; print d }')
done
