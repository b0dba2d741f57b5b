# shellcheck shell=bash
# The S3-compatible server of the offsite tests, sourced by .ci/run:
# SeaweedFS (`weed`) with its S3 gateway on 127.0.0.1, built from the Go
# module and cached between runs in $WEED_CACHE (the machine keeps
# /var/cache). `s3_start` starts it on free loopback ports with fresh
# credentials, creates the bucket, waits until S3 answers (bounded) and
# exports what the tests read:
#
#   ENSPACE_TEST_S3_ENDPOINT           http://127.0.0.1:PORT
#   ENSPACE_TEST_S3_ACCESS_KEY_ID      the access key of weed's one identity
#   ENSPACE_TEST_S3_SECRET_ACCESS_KEY  its secret
#   ENSPACE_TEST_S3_BUCKET             a bucket that exists (tests write under their own prefixes)
#   ENSPACE_TEST_S3_DIR                weed's data directory (raw bytes, for the leak grep)
#   ENSPACE_REQUIRE_S3=1               the S3 suites fail instead of skipping
#
# `s3_stop` stops it (call it from the EXIT trap). The same variables point
# the suites at any other S3 endpoint (MinIO, AWS): see docs/testing.md.

WEED_MODULE=github.com/seaweedfs/seaweedfs
WEED_VERSION=v0.0.0-20261109003541-7506e5f91cd6
WEED_CACHE=${WEED_CACHE:-/var/cache/enspace-sync}
WEED_BIN="$WEED_CACHE/weed-$WEED_VERSION"

# s3_build_weed builds weed into $WEED_BIN unless it is there. `go install
# MODULE/weed@VERSION` is refused (the module's go.mod has replace
# directives), so it builds ./weed in a writable copy of the module's
# directory. About 11 minutes on 2 cores; the time goes to the log.
s3_build_weed() {
  mkdir -p "$WEED_CACHE"
  # One build at a time: a second caller waits for the first one's binary.
  exec 9>"$WEED_CACHE/weed.lock"
  flock 9
  if [ -x "$WEED_BIN" ]; then
    flock -u 9
    echo "weed: cached $WEED_BIN"
    return 0
  fi
  local dir src start
  start=$(date +%s)
  echo "weed: building $WEED_MODULE@$WEED_VERSION (about 11 minutes on 2 cores)"
  dir=$(go mod download -json "$WEED_MODULE@$WEED_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "weed: go mod download gave no directory for $WEED_MODULE@$WEED_VERSION" >&2
    flock -u 9
    return 1
  fi
  src=$(mktemp -d)
  cp -r "$dir/." "$src/"
  chmod -R u+w "$src"
  if ! (cd "$src" && GOFLAGS=-buildvcs=false go build -o "$WEED_BIN.tmp" ./weed); then
    rm -rf "$src" "$WEED_BIN.tmp"
    flock -u 9
    return 1
  fi
  mv "$WEED_BIN.tmp" "$WEED_BIN"
  rm -rf "$src"
  flock -u 9
  echo "weed: built in $(($(date +%s) - start)) s: $WEED_BIN ($(du -m "$WEED_BIN" | cut -f1) MB)"
}

# s3_free_port prints a TCP port of 127.0.0.1 that nothing listens on and
# that no earlier call printed.
S3_PORTS_TAKEN=" "
s3_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    case "$S3_PORTS_TAKEN" in *" $port "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      S3_PORTS_TAKEN="$S3_PORTS_TAKEN$port "
      echo "$port"
      return
    fi
  done
}

# s3_answers is true when an HTTP server answers on 127.0.0.1:$1.
s3_answers() (
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || exit 1
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" >&3
  IFS= read -r -t 5 line <&3 || line=
  [[ "$line" == HTTP/* ]]
)

S3_DIR=
S3_PID=
s3_start() {
  local master volume filer s3 master_grpc filer_grpc key secret bucket i shell
  S3_DIR=$(mktemp -d)
  mkdir -p "$S3_DIR/data"
  master=$(s3_free_port) volume=$(s3_free_port) filer=$(s3_free_port) s3=$(s3_free_port)
  master_grpc=$(s3_free_port) filer_grpc=$(s3_free_port)
  key=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  bucket=enspace-test
  (umask 077; cat >"$S3_DIR/s3.json" <<EOF
{"identities": [{"name": "enspace-test", "credentials": [{"accessKey": "$key", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
EOF
  )
  "$WEED_BIN" server -dir="$S3_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$master" -master.port.grpc="$master_grpc" -master.telemetry=false \
    -master.volumeSizeLimitMB=256 -volume.max=0 -volume.preStopSeconds=0 -volume.port="$volume" -volume.port.grpc="$(s3_free_port)" \
    -filer -filer.port="$filer" -filer.port.grpc="$filer_grpc" -filer.localSocket="$S3_DIR/filer.sock" \
    -s3 -s3.port="$s3" -s3.port.grpc="$(s3_free_port)" -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.localSocket="$S3_DIR/s3.sock" -s3.config="$S3_DIR/s3.json" >"$S3_DIR/weed.log" 2>&1 &
  S3_PID=$!
  # S3 answers within about 15 s; the bucket can be created once the
  # filer has a volume to write to. weed shell names a server whose gRPC
  # port is not HTTP+10000 as HOST:PORT.GRPCPORT.
  shell=("$WEED_BIN" shell -master="127.0.0.1:$master.$master_grpc" -filer="127.0.0.1:$filer.$filer_grpc")
  for i in $(seq 1 120); do
    if ! kill -0 "$S3_PID" 2>/dev/null; then
      echo "weed exited while starting:"; tail -n 40 "$S3_DIR/weed.log"; return 1
    fi
    if s3_answers "$s3" &&
      echo "s3.bucket.create -name $bucket" | timeout 30 "${shell[@]}" >>"$S3_DIR/shell.log" 2>&1 &&
      echo "s3.bucket.list" | timeout 30 "${shell[@]}" 2>>"$S3_DIR/shell.log" | grep -q "$bucket"; then
      echo "weed: S3 on 127.0.0.1:$s3 after $i tries (data in $S3_DIR/data)"
      export ENSPACE_TEST_S3_ENDPOINT="http://127.0.0.1:$s3"
      export ENSPACE_TEST_S3_ACCESS_KEY_ID="$key"
      export ENSPACE_TEST_S3_SECRET_ACCESS_KEY="$secret"
      export ENSPACE_TEST_S3_BUCKET="$bucket"
      export ENSPACE_TEST_S3_DIR="$S3_DIR/data"
      export ENSPACE_REQUIRE_S3=1
      return 0
    fi
    sleep 0.5
  done
  echo "weed: S3 did not answer within 60 s:"; tail -n 40 "$S3_DIR/weed.log"; tail -n 10 "$S3_DIR/shell.log"
  return 1
}

s3_stop() {
  if [ -n "$S3_PID" ]; then
    # SIGTERM, and SIGKILL if it still runs 2 s later (weed takes about
    # 10 s to stop by itself; its files are thrown away anyway).
    kill "$S3_PID" 2>/dev/null || true
    (sleep 2; kill -9 "$S3_PID" 2>/dev/null) &
    wait "$S3_PID" 2>/dev/null || true
    kill $! 2>/dev/null || true
    S3_PID=
  fi
  if [ -n "$S3_DIR" ]; then rm -rf "$S3_DIR"; S3_DIR=; fi
}
