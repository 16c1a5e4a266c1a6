#!/usr/bin/env bash
# `npm test`'s first step (package.json "pretest"): the notebook tests run Debian's Jupyter with the
# tslab kernel, the figure tests render PNGs with Debian's chromium, the suite-queue tests start
# Debian's redis-server (test/repro-queue.test.ts). Run as root, this installs what
# is missing (apt-get); otherwise it stops with one line naming the packages to install.
set -euo pipefail

missing=()
[ -x /usr/bin/jupyter-nbconvert ] || missing+=(jupyter-core jupyter-client jupyter-nbconvert)
for module in nbclient nbformat ipykernel; do
  /usr/bin/python3 -c "import $module" 2>/dev/null || missing+=("python3-$module")
done
/usr/bin/python3 -c "import tkinter" 2>/dev/null || missing+=(python3-tk)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ "${#missing[@]}" = 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  echo "npm test: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "npm test: missing Debian packages; run \`sudo apt-get install -y --no-install-recommends ${missing[*]}\` (or run npm test as root, which installs them)" >&2
exit 1
