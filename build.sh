#!/usr/bin/env bash
# Builds the single executable dist/sekisho: installs dependencies when missing, type-checks (a type error
# fails the build), then compiles with Bun. The binary never reads .env or bunfig.toml from the directory
# it runs in. Do not strip it: stripping leaves the plain bun CLI.
#
#   ./build.sh          dist/sekisho
#   ./build.sh image    dist/sekisho, then the container image sekisho:<version> and sekisho:latest, FROM
#                       scratch (no registry needed), with podman or docker, whichever is installed
#                       (SEKISHO_CONTAINER_ENGINE=podman|docker chooses; SEKISHO_IMAGE renames the image).
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  "") image=0 ;;
  image) image=1 ;;
  *) echo "usage: ./build.sh [image]" >&2; exit 2 ;;
esac

if [ ! -x node_modules/.bin/bun ] || [ ! -x node_modules/.bin/tsc ]; then
  npm ci --no-audit --no-fund
fi

node_modules/.bin/tsc --noEmit -p .

mkdir -p dist
node_modules/.bin/bun build src/main.ts \
  --compile --minify --sourcemap --bytecode \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --outfile dist/sekisho
echo "built dist/sekisho ($(du -h dist/sekisho | cut -f1))"

[ "$image" = 1 ] || exit 0

# ── the image's build context: dist/image/{rootfs,data} (see the Dockerfile) ──
context=dist/image
rootfs=$context/rootfs
rm -rf "$context"
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$context/data"
cp dist/sekisho "$rootfs/sekisho"

# The glibc libraries the binary links and the dynamic loader, at the paths the binary looks for them.
libraries=$(ldd dist/sekisho | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
if ldd dist/sekisho | grep -q "not found"; then
  echo "build.sh image: ldd cannot resolve every library of dist/sekisho" >&2
  exit 1
fi
[ -n "$libraries" ] || { echo "build.sh image: ldd listed no libraries for dist/sekisho" >&2; exit 1; }
for library in $libraries; do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done

ca=/etc/ssl/certs/ca-certificates.crt
if [ ! -s "$ca" ]; then
  echo "build.sh image: $ca is missing; install Debian's ca-certificates (apt-get install -y ca-certificates)" >&2
  exit 1
fi
cp "$ca" "$rootfs$ca"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/:/sbin/nologin\nsekisho:x:10001:10001:sekisho:/var/lib/sekisho:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nsekisho:x:10001:\n' >"$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
cp Dockerfile "$context/Dockerfile"

# ── the engine ──
engine=${SEKISHO_CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null 2>&1; then engine=podman
  elif command -v docker >/dev/null 2>&1; then engine=docker
  else
    echo "build.sh image: neither podman nor docker is installed (Debian: apt-get install -y podman buildah runc catatonit)" >&2
    exit 1
  fi
fi
version=$(node_modules/.bin/bun -e 'console.log(require("./package.json").version)')
name=${SEKISHO_IMAGE:-sekisho}
case "$engine" in
  # chroot isolation needs no OCI runtime for the build; docker format keeps HEALTHCHECK (OCI drops it).
  podman) build=(podman build --isolation chroot --format docker) ;;
  docker) build=(docker build) ;;
  *) echo "build.sh image: SEKISHO_CONTAINER_ENGINE must be podman or docker, not $engine" >&2; exit 2 ;;
esac
"${build[@]}" --build-arg "VERSION=$version" -t "$name:$version" -t "$name:latest" -f "$context/Dockerfile" "$context"
# The image this one replaced, and the build's intermediate images, have no tag left: remove them.
"$engine" image prune -f --filter "label=org.opencontainers.image.title=sekisho" >/dev/null
echo "built image $name:$version ($engine, $(du -sh "$rootfs" | cut -f1) of files)"
