#!/usr/bin/env bash
# Runs the README's short tour (same commands, in a scratch dir) and checks what it promises.
# Usage: readme_tour.sh BERTH_BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/berth-tour-XXXXXX)
root=$work/state
id=web-tour-$$
image=localhost/berth-tour-busybox-$$
holder=
cleanup() {
  local rc=$?  # the tour's verdict; cleaning up must not change it
  if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; fi
  "$build/berth" runtime --root "$root" delete --force "$id" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work" || true
  exit "$rc"
}
trap cleanup EXIT
cd "$work"
berth() { "$build/berth" runtime --root "$root" "$@"; }
fail() { echo "readme tour: $*" >&2; exit 1; }

mkdir -p mybundle/rootfs/bin && cp /bin/busybox mybundle/rootfs/bin/
chroot mybundle/rootfs /bin/busybox --install -s /bin
berth spec --bundle mybundle
python3 -c 'import json; p="mybundle/config.json"; c=json.load(open(p)); c["process"].update(terminal=False, args=["sleep", "3600"]); json.dump(c, open(p, "w"))'
berth create --bundle mybundle "$id"
berth state "$id" | grep -q '"status": "created"' || fail "state after create is not created"
berth start "$id"
berth state "$id" | grep -q '"status": "running"' || fail "state after start is not running"
[ "$(berth exec "$id" sh -c 'echo hi from $(hostname)')" = "hi from berth" ] || fail "exec output"
berth pause "$id" && berth resume "$id"
berth list | grep -q "^$id .*running" || fail "list does not show the container"
berth delete --force "$id"
berth list -q | grep -q . && fail "list is not empty after delete"
ls -d /sys/fs/cgroup/*/berth/"$id" 2>/dev/null && fail "cgroups left behind"

tar -C mybundle/rootfs -c . | podman import - "$image" >/dev/null
[ "$(podman --runtime "$build/berth-runc" run --rm "$image" echo ok)" = ok ] || fail "podman run"
# A terminal's stdin does not end: hold a fifo open for script(1) while podman runs.
mkfifo stdin && { sleep 60 >stdin & }
holder=$!
out=$(script -qec "podman --runtime $build/berth-runc run --rm -it --memory 64m $image sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'" /dev/null <stdin | tr -d '\r')
kill "$holder" 2>/dev/null || true
[ "$out" = 67108864 ] || fail "podman -it --memory 64m: got '$out'"
echo "readme tour: ok"
