#!/usr/bin/env bash
# The CI job dotbox recommends, as one script: the GitHub Actions and GitLab CI recipes beside
# it run exactly this, and dotbox's own tests run it too (tests/integration/test_ci_recipes.py).
#   install dotbox → check the engine → import the schema → fill a warm pool → run the suite
#   with a sandbox per test → drain the pool and collect anything left (also on failure).
# Settings (environment): DOTBOX_SNAPSHOT (default: the bundled default), DOTBOX_SCHEMA (a
# schema-only dump to import under that name), DOTBOX_POOL_SIZE (4), DOTBOX_SUITE (tests),
# DOTBOX_PACKAGE (what pip installs; DOTBOX_CI_SKIP_INSTALL=1 when it is installed already).
# Arguments are passed to pytest (e.g. -n 4 for pytest-xdist).
set -euo pipefail
snapshot=${DOTBOX_SNAPSHOT:-default}
if [ "${DOTBOX_CI_SKIP_INSTALL:-0}" != 1 ]; then
  python3 -m pip install --quiet "${DOTBOX_PACKAGE:-dotbox[test]}"
fi
dotbox doctor || echo "dotbox doctor: see above (what fails next says why)" >&2
if [ -n "${DOTBOX_SCHEMA:-}" ]; then
  dotbox snapshot import "$DOTBOX_SCHEMA" --name "$snapshot" --replace
fi
trap 'dotbox pool drain "$snapshot" >/dev/null; dotbox gc >/dev/null' EXIT
dotbox pool fill "$snapshot" --size "${DOTBOX_POOL_SIZE:-4}"
python3 -m pytest -q "${DOTBOX_SUITE:-tests}" --dotbox-snapshot "$snapshot" "$@"
