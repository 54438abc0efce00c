#!/usr/bin/env bash
# Install the Debian packages the test suite uses, when they are missing and we can.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# The production-stack test puts nginx in front of gunicorn; pg_dump/pg_restore back up PG.
{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 || need+=(nginx-light)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "system-deps: not root, cannot install ${need[*]}; tests that need them will skip"
  exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${need[@]}" >/tmp/xuncha-apt.log 2>&1; then
  apt-get update -q >>/tmp/xuncha-apt.log 2>&1
  apt-get install -y -q --no-install-recommends "${need[@]}" >>/tmp/xuncha-apt.log 2>&1 \
    || { echo "system-deps: apt-get failed (see /tmp/xuncha-apt.log); dependent tests will skip"; exit 0; }
fi
