#!/usr/bin/env bash
# Stops the private Dovecot that scripts/dovecot/start.sh started (its master process, by the pid in its base_dir).
# Its mail stays in $PARAPET_DOVECOT_DIR; delete that folder to start empty.
set -euo pipefail
DIR="${PARAPET_DOVECOT_DIR:-/tmp/parapet-dovecot}"
if [ -f "$DIR/run/master.pid" ] && kill -0 "$(cat "$DIR/run/master.pid")" 2>/dev/null; then
  doveadm -c "$DIR/dovecot.conf" stop
  echo "Dovecot for tests stopped"
else
  echo "Dovecot for tests is not running"
fi
