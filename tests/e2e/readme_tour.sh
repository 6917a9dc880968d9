#!/usr/bin/env bash
# Runs the README's short tour (same commands, in a scratch dir) and checks what it promises.
# Usage: readme_tour.sh BERTH_BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
support_dir=$(cd "$(dirname "$0")/../support" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/berth-tour-XXXXXX)
root=$work/state
id=web-tour-$$
image=localhost/berth-tour-busybox-$$
holder=
server=
registry=
daemon=
cleanup() {
  local rc=$?  # the tour's verdict; cleaning up must not change it
  if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; fi
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$registry" ]; then kill "$registry" 2>/dev/null || true; wait "$registry" 2>/dev/null || true; fi
  if [ -n "$daemon" ]; then
    DOCKER_HOST=unix://$work/berth.sock docker rm -f ticker web app >/dev/null 2>&1 || true
    DOCKER_HOST=unix://$work/berth.sock docker network rm appnet >/dev/null 2>&1 || true
    (cd "$here/examples/webapp" && BERTH_HOST=unix://$work/berth.sock "$build/berth" compose down -v -t 0 >/dev/null 2>&1) || true
    kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true
    "$support_dir/cleanup-bridge.sh"
  fi
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
# The last line: on a host whose hard RLIMIT_NOFILE is below podman's 1048576 the runtime's
# clamp warning comes first on the same terminal.
out=$(script -qec "podman --runtime $build/berth-runc run --rm -it --memory 64m $image sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'" /dev/null <stdin | tr -d '\r' | tail -n 1)
kill "$holder" 2>/dev/null || true
[ "$out" = 67108864 ] || fail "podman -it --memory 64m: got '$out'"
# Images, on a private data root and a registry on a free loopback port.
export BERTH_DATA_ROOT=$work/images
BERTH="$build/berth" "$here/scripts/base-images" busybox >/dev/null
grep -q '^busybox  *latest' <<<"$("$build/berth" images)" || fail "images does not list busybox"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
printf 'version: 0.1\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n' "$work/registry" "$reg" > "$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry=$!
for _ in $(seq 50); do curl -fs "http://$reg/v2/" >/dev/null && break; sleep 0.1; done
b() { "$build/berth" "$@"; }
b tag busybox "$reg/tour/busybox:1"
b push "$reg/tour/busybox:1" >/dev/null || fail "push"
id=$(b image inspect --format '{{.Id}}' busybox)
b rmi "$reg/tour/busybox:1" busybox >/dev/null
[ -z "$(b images -q)" ] || fail "images left after rmi"
out=$(b pull "$reg/tour/busybox:1") || fail "pull"
grep -q "Status: Downloaded newer image" <<<"$out" || fail "pull said: $out"
b save -o "$work/busybox.tar" "$reg/tour/busybox:1"
b rmi "$reg/tour/busybox:1" >/dev/null
[ "$(b load -i "$work/busybox.tar")" = "Loaded image: $reg/tour/busybox:1" ] || fail "load"
[ "$(b image inspect --format '{{.Id}} {{.RepoTags}}' "$reg/tour/busybox:1")" = "$id [\"$reg/tour/busybox:1\"]" ] || fail "inspect after load: $(b image inspect --format '{{.Id}} {{.RepoTags}}' "$reg/tour/busybox:1")"

# The engine: berth's CLI and the docker CLI against a daemon on the same data root and a
# private socket. The README publishes fixed ports; the tour takes free ones.
"$build/berth" daemon --data-root "$BERTH_DATA_ROOT" -H "unix://$work/berth.sock" >"$work/berth.log" 2>&1 &
daemon=$!
export BERTH_HOST=unix://$work/berth.sock
for _ in $(seq 50); do curl -sf --unix-socket "$work/berth.sock" http://x/_ping >/dev/null && break; sleep 0.1; done
b tag "$reg/tour/busybox:1" busybox
BERTH="$build/berth" "$here/scripts/base-images" debian >/dev/null || fail "base-images debian"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
b build -t hello "$here/examples/webapp" >"$work/build.log" || fail "berth build: $(tail -5 "$work/build.log")"
[ "$(b run --rm --entrypoint id hello)" = "uid=10001(app) gid=10001(app)" ] || fail "berth run --entrypoint id"
b network create appnet >/dev/null || fail "network create"
app_port=$(free_port)
b run -d --name app --network appnet -p "$app_port:8080" hello >/dev/null || fail "berth run -d"
grep -q ' app$' <<<"$(b ps)" || fail "berth ps does not show app"
for _ in $(seq 50); do b logs app | grep -q listening && break; sleep 0.1; done
b logs app | grep -q "webapp 1.0 listening on :8080" || fail "berth logs: $(b logs app)"
[ "$(b exec app cat /etc/hostname)" = "$(b container inspect -f '{{.Config.Hostname}}' app)" ] || fail "berth exec"
got=$(b run --rm --network appnet busybox wget -q -O - http://app:8080/health) || true
[ "$got" = '{"status":"ok"}' ] || fail "DNS by name on appnet: '$got'"
b stats --no-stream app | grep -q '^[0-9a-f]\{12\} *app ' || fail "berth stats"
b rm -f app >/dev/null && b network rm appnet >/dev/null || fail "rm app / network rm"

export DOCKER_HOST=unix://$work/berth.sock
DOCKER_BUILDKIT=0 docker build -t hello "$here/examples/webapp" >"$work/docker-build.log" 2>&1 || fail "docker build: $(tail -5 "$work/docker-build.log")"
grep -q "Using cache" "$work/docker-build.log" || fail "docker build did not reuse berth build's cache: $(cat "$work/docker-build.log")"
[ "$(docker run --rm busybox echo hello from berth)" = "hello from berth" ] || fail "docker run"
docker run -d --name ticker busybox sh -c 'while true; do date; sleep 1; done' >/dev/null
for _ in $(seq 50); do [ -n "$(docker logs --tail 2 ticker)" ] && break; sleep 0.1; done
[ "$(docker logs --tail 2 ticker | wc -l)" -ge 1 ] || fail "docker logs"
[ "$(docker cp ticker:/etc/hostname - | tar -xO)" = "$(docker inspect -f '{{.Config.Hostname}}' ticker)" ] || fail "docker cp"
docker stop -t 1 ticker >/dev/null && docker rm ticker >/dev/null || fail "stop/rm"
web_port=$(free_port)
docker run -d --name web -p "$web_port:80" -v site:/www busybox sh -c 'echo hi > /www/index.html; httpd -f -p 80 -h /www' >/dev/null
got=
for _ in $(seq 50); do got=$(curl -s -m 2 "http://127.0.0.1:$web_port/" || true); [ -n "$got" ] && break; sleep 0.1; done
[ "$got" = hi ] || fail "published port answered '$got'"
docker rm -f web >/dev/null && docker volume rm site >/dev/null || fail "rm web / volume rm site"
unset DOCKER_HOST

# Compose: the webapp's compose.yaml through berth compose, then seen by docker-compose.
compose_port=$(free_port)
cd "$here/examples/webapp"
WEBAPP_PORT=$compose_port b compose up -d --wait >"$work/compose.log" 2>&1 || fail "compose up: $(tail -5 "$work/compose.log")"
[ "$(b compose ps --format '{{.Service}} {{.State}}')" = "$(printf 'cache running\nweb running')" ] || fail "compose ps: $(b compose ps)"
[ "$(curl -s -m 2 "http://127.0.0.1:$compose_port/health")" = '{"status":"ok"}' ] || fail "compose app on :$compose_port"
again=$(WEBAPP_PORT=$compose_port b compose up -d 2>&1) || fail "second compose up: $again"
! grep -q Recreate <<<"$again" || fail "second compose up recreated: $again"
if command -v docker-compose >/dev/null; then
  DOCKER_HOST=$BERTH_HOST docker-compose ps | grep -q 'webapp-web-1 .* Up' || fail "docker-compose ps: $(DOCKER_HOST=$BERTH_HOST docker-compose ps)"
fi
b compose down -v >/dev/null 2>&1 || fail "compose down"
[ -z "$(b ps -aq)" ] && ! b volume ls -q | grep -q webapp || fail "compose down left: $(b ps -a; b volume ls)"
cd "$work"

# The Kubernetes API: berth server and kubectl with the kubeconfig it writes.
if command -v kubectl >/dev/null; then
  kport=$(free_port)
  "$build/berth" server --data-dir "$work/server" --https-listen-port "$kport" --write-kubeconfig "$work/kubeconfig" >"$work/server.log" 2>&1 &
  server=$!
  k() { kubectl --kubeconfig "$work/kubeconfig" --cache-dir "$work/kcache" "$@"; }
  for _ in $(seq 100); do k get --raw /healthz >/dev/null 2>&1 && break; sleep 0.1; done
  k apply -f "$here/examples/webapp/k8s.yaml" >/dev/null || fail "kubectl apply: $(tail -3 "$work/server.log")"
  [ "$(k get all -o name)" = "$(printf 'service/kubernetes\nservice/webapp\ndeployment.apps/webapp')" ] || fail "kubectl get all: $(k get all -o name)"
  k get all -o wide | grep -q '^deployment.apps/webapp .* webapp:latest ' || fail "kubectl get all -o wide: $(k get all -o wide)"
  k scale deployment webapp --replicas=3 >/dev/null || fail "kubectl scale"
  [ "$(k get deploy webapp -o jsonpath='{.spec.replicas}')" = 3 ] || fail "replicas after scale"
  k create serviceaccount ci >/dev/null && k create rolebinding ci --clusterrole=view --serviceaccount=default:ci >/dev/null || fail "service account"
  [ "$(k auth can-i list pods --as=system:serviceaccount:default:ci)" = yes ] || fail "can-i list pods"
  [ "$(k auth can-i list secrets --as=system:serviceaccount:default:ci)" = no ] || fail "can-i list secrets"
  k delete -f "$here/examples/webapp/k8s.yaml" >/dev/null || fail "kubectl delete"
  kill "$server"; wait "$server" 2>/dev/null || true; server=
fi

echo "readme tour: ok"
