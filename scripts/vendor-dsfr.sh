#!/bin/sh
# Refreshes the French State's design system (DSFR) vendored in bureau/static/dsfr from
# the npm registry, at the pinned version: its built CSS and JS, the Marianne and
# Spectral fonts (woff2) and the favicons. Run it to move to another version.
set -eu
VERSION="${1:-1.15.3}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$HERE/bureau/static/dsfr"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "@gouvfr/dsfr@$VERSION" >/dev/null && tar xzf gouvfr-dsfr-*.tgz)
rm -rf "$DEST" && mkdir -p "$DEST/fonts" "$DEST/favicon"
cp "$WORK/package/dist/dsfr.min.css" "$WORK/package/dist/dsfr.module.min.js" \
   "$WORK/package/dist/dsfr.nomodule.min.js" "$DEST/"
cp "$WORK"/package/dist/fonts/*.woff2 "$DEST/fonts/"
cp "$WORK/package/dist/favicon/favicon.svg" "$WORK/package/dist/favicon/favicon.ico" \
   "$WORK/package/dist/favicon/apple-touch-icon.png" "$DEST/favicon/"
cp "$WORK/package/LICENSE.md" "$DEST/LICENSE.md" 2>/dev/null || true
echo "$VERSION" > "$DEST/VERSION"
echo "DSFR $VERSION vendored in $DEST"
