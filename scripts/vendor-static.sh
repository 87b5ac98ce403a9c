#!/bin/sh
# Refreshes the bureau's vendored front-end files from the npm registry, at pinned
# versions: the French State's design system (DSFR: its built CSS and JS, the Marianne
# and Spectral fonts in woff2, the favicons) in bureau/static/dsfr, and htmx in
# bureau/static/htmx. Run it to move to other versions: vendor-static.sh [DSFR] [HTMX].
set -eu
DSFR="${1:-1.15.3}"
HTMX="${2:-2.0.11}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
STATIC="$HERE/bureau/static"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/dsfr" "$WORK/htmx"
(cd "$WORK/dsfr" && npm pack --silent "@gouvfr/dsfr@$DSFR" >/dev/null && tar xzf ./*.tgz)
(cd "$WORK/htmx" && npm pack --silent "htmx.org@$HTMX" >/dev/null && tar xzf ./*.tgz)

rm -rf "$STATIC/dsfr" && mkdir -p "$STATIC/dsfr/fonts" "$STATIC/dsfr/favicon"
cp "$WORK/dsfr/package/dist/dsfr.min.css" "$WORK/dsfr/package/dist/dsfr.module.min.js" \
   "$WORK/dsfr/package/dist/dsfr.nomodule.min.js" "$STATIC/dsfr/"
cp "$WORK"/dsfr/package/dist/fonts/*.woff2 "$STATIC/dsfr/fonts/"
cp "$WORK/dsfr/package/dist/favicon/favicon.svg" "$WORK/dsfr/package/dist/favicon/favicon.ico" \
   "$WORK/dsfr/package/dist/favicon/apple-touch-icon.png" "$STATIC/dsfr/favicon/"
cp "$WORK/dsfr/package/LICENSE.md" "$STATIC/dsfr/LICENSE.md"
echo "$DSFR" > "$STATIC/dsfr/VERSION"

rm -rf "$STATIC/htmx" && mkdir -p "$STATIC/htmx"
cp "$WORK/htmx/package/dist/htmx.min.js" "$WORK/htmx/package/LICENSE" "$STATIC/htmx/"
echo "$HTMX" > "$STATIC/htmx/VERSION"
echo "DSFR $DSFR and htmx $HTMX vendored in $STATIC"
