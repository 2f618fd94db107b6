#!/usr/bin/env bash
# Mode check, the last step: fail the job when violations remain, after everything was reported.
set -euo pipefail
violations=${PODSEC_VIOLATIONS:-}
[[ $violations =~ ^[0-9]+$ ]] || { echo "::error title=podsec::the run step reported no verdict"; exit 1; }
if [ "$violations" -gt 0 ]; then
  echo "::error title=podsec::$violations Pod Security Standards violation(s): see the annotations, the job summary and the code scanning report"
  exit 1
fi
echo "podsec: no violation"
