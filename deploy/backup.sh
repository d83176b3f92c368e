#!/usr/bin/env bash
# Dump the database named by DATABASE_URL (custom format: compressed, restorable table by table) into
# BACKUP_DIR as boomerang-YYYY-MM-DDTHHMM.dump, keep the newest KEEP (default 14), and check the dump
# can be read back (pg_restore --list). Exit non-zero on any failure, so the timer's status shows it.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL=postgres://…}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/boomerang}"
KEEP="${KEEP:-14}"
mkdir -p "$BACKUP_DIR"
file="$BACKUP_DIR/boomerang-$(date -u +%Y-%m-%dT%H%M).dump"
pg_dump --format=custom --no-owner --file="$file.partial" "$DATABASE_URL"
pg_restore --list "$file.partial" >/dev/null
mv "$file.partial" "$file"
ls -1t "$BACKUP_DIR"/boomerang-*.dump | tail -n +"$((KEEP + 1))" | xargs -r rm --
echo "backup: $file ($(du -h "$file" | cut -f1))"
