#!/usr/bin/env bash
# Real PostgreSQL 15 and a real S3 server (Ceph radosgw: one monitor, one memstore OSD, auth none) on
# free loopback ports in a temp dir, for the scale-out tests of issue 8. Nothing is installed or
# registered system-wide: `stop` kills the daemons by the PIDs `start` recorded and removes the dir.
#
#   eval "$(scripts/services.sh start)"   # prints VOD_SERVICES_DIR=… VOD_TEST_DATABASE_URL=… VOD_TEST_S3_…
#   scripts/services.sh env [DIR]         # prints the same lines again
#   scripts/services.sh stop [DIR]        # DIR defaults to $VOD_SERVICES_DIR
#   scripts/services.sh check             # exit 0 when the binaries are here, else says what is missing
#
# Packages (Debian 12): postgresql radosgw ceph-mon ceph-osd ceph-common.
set -euo pipefail

log() { echo "services: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# Debian keeps initdb/pg_ctl out of PATH (postgresql-common wraps them); take the newest major.
pg_bindir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return
  fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

missing_binaries() {
  local missing=()
  [ -n "$(pg_bindir)" ] || missing+=(pg_ctl)
  local b
  for b in ceph-mon ceph-osd monmaptool radosgw radosgw-admin ceph; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  echo "${missing[*]}"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Waits until `node -e CHECK` exits 0, or fails with the daemon's log tail after $2 seconds.
wait_for() {
  local what=$1 seconds=$2 check=$3 logfile=$4 i
  for ((i = 0; i < seconds * 5; i++)); do
    if node -e "$check" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "$what did not come up within ${seconds}s; last lines of $logfile:"
  tail -n 20 "$logfile" >&2 || true
  return 1
}

# The 'wrong fsid' of first boots (issue 19), seen in a start's logs with debug_monc=20:
#   osd.0.log   monclient: build_initial_monmap … fsid 00000000-0000-0000-0000-000000000000
#               monclient: _send_command 1 [{"prefix": "osd crush set-device-class", …}]
#               monclient: handle_monmap … fsid <ours>            (4 ms after the command left)
#   mon.a.log   handle_command on fsid 00000000-0000-0000-0000-000000000000 != <ours>
# A Ceph 16 client makes two MonClients: a bootstrap one (which has ceph.conf's fsid) fetches the
# monmap and config, then the real one starts from the monitor addresses alone, with a zero fsid
# (`--monmap FILE` does not change it). Its authenticate() returns before the monmap it subscribed to
# has arrived, and a command sent in that window carries fsid 0: the monitor refuses it (EPERM,
# before doing anything). The OSD's own start-up commands hit this most (it then exited, and
# radosgw-admin hung with no OSD); they are off (osd_*_update_on_start below) and this script places
# the OSD itself. The `ceph` CLI sends its first command a few ms after connecting, so it can lose the
# same race: such a refusal, and only that one, is safe to send again.
ceph_retry() {
  local logfile=$1 i err
  shift
  err=$(mktemp "$DIR/log/stderr.XXXXXX")
  for ((i = 1; i <= 5; i++)); do
    if "$@" 2>"$err"; then
      cat "$err" >>"$logfile"
      rm -f "$err"
      return 0
    fi
    cat "$err" >>"$logfile"
    grep -q 'wrong fsid' "$err" || break
    echo "services: attempt $i of '$*' refused for the zero fsid; again" >>"$logfile"
    echo "$logfile" >>"$DIR/retried"
  done
  rm -f "$err"
  return 1
}

record_pid() { echo "$1 $2" >>"$DIR/pids"; }

# Milliseconds since `start` began, per step, in log/timings (the figures quoted in docs/architecture.md).
step() { echo "$1 $((($(date +%s%N) - STARTED_NS) / 1000000)) ms" >>"$DIR/log/timings"; }

start_postgres() {
  local bindir port pgdata run=()
  bindir=$(pg_bindir)
  port=$(free_port)
  pgdata="$DIR/pg"
  mkdir -p "$pgdata"
  : >"$DIR/log/postgres.log"
  # postgres refuses to run as root: as root, the cluster (and its log) belongs to the postgres user.
  if [ "$(id -u)" = "0" ]; then
    chown postgres: "$pgdata" "$DIR/log/postgres.log"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$pgdata" -U postgres -A trust --no-sync -E UTF8 --locale=C \
    >"$DIR/log/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$DIR/log/initdb.log")"
  # The socket goes in the data dir (-k) so nothing in /run is needed; fsync off: test data only.
  # setsid, as for the Ceph daemons below: the postmaster must not share the caller's process group.
  "${run[@]}" setsid "$bindir/pg_ctl" -D "$pgdata" -w -t 60 -l "$DIR/log/postgres.log" \
    -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null || die "pg_ctl start failed: $(tail -n 5 "$DIR/log/postgres.log")"
  record_pid postgres "$(head -n 1 "$pgdata/postmaster.pid")"
  step postgres-up
  echo "VOD_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres" >>"$DIR/env"
}

start_ceph() {
  local mon_port rgw_port fsid osd_uuid conf="$DIR/ceph/ceph.conf"
  mon_port=$(free_port)
  rgw_port=$(free_port)
  fsid=$(node -e "console.log(require('crypto').randomUUID())")
  osd_uuid=$(node -e "console.log(require('crypto').randomUUID())")
  mkdir -p "$DIR/ceph/mon-a" "$DIR/ceph/osd-0" "$DIR/ceph/run"
  # Traps (issue 8): v1 address in both the monmap and mon_host; memstore with pool size 1, which the
  # monitor refuses unless told that size one is allowed; one host, so replicas choose among OSDs.
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon_host = [v1:127.0.0.1:$mon_port]
public_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_objectstore = memstore
memstore_device_bytes = 1073741824
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
# The OSD's own start-up commands (device class, crush location) can leave before its MonClient has
# the monmap, with fsid 0, and are refused ('wrong fsid', see ceph_retry); the OSD then exits. This
# script places the OSD itself.
osd_class_update_on_start = false
osd_crush_update_on_start = false
run_dir = $DIR/ceph/run
admin_socket = $DIR/ceph/run/\$name.asok
log_file = $DIR/log/\$name.log
pid_file = $DIR/ceph/run/\$name.pid
keyring = $DIR/ceph/keyring
mon_data = $DIR/ceph/mon-\$id
osd_data = $DIR/ceph/osd-\$id
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_enable_usage_log = false
EOF
  : >"$DIR/ceph/keyring"
  local C=(-c "$conf")

  monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$DIR/ceph/monmap" \
    >"$DIR/log/monmaptool.log" 2>&1 || die "monmaptool failed: $(cat "$DIR/log/monmaptool.log")"
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$DIR/ceph/monmap" >"$DIR/log/mon-mkfs.log" 2>&1 ||
    die "ceph-mon --mkfs failed: $(tail -n 5 "$DIR/log/mon-mkfs.log")"
  # setsid: a caller's timeout kills its process group; the daemons must die only by `stop`.
  setsid ceph-mon "${C[@]}" -i a -f >"$DIR/log/mon.out" 2>&1 </dev/null &
  record_pid ceph-mon $!
  step mon-started

  local osd_id
  osd_id=$(ceph_retry "$DIR/log/osd-new.log" timeout 60 ceph "${C[@]}" --connect-timeout 30 osd new "$osd_uuid") ||
    die "ceph osd new failed: $(tail -n 5 "$DIR/log/osd-new.log")"
  ceph_retry "$DIR/log/osd-crush.log" timeout 60 ceph "${C[@]}" --connect-timeout 30 \
    osd crush add "osd.$osd_id" 1.0 host=localhost root=default >/dev/null ||
    die "ceph osd crush add failed: $(tail -n 5 "$DIR/log/osd-crush.log")"
  ceph-osd "${C[@]}" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$DIR/log/osd-mkfs.log" 2>&1 ||
    die "ceph-osd --mkfs failed: $(tail -n 5 "$DIR/log/osd-mkfs.log")"
  setsid ceph-osd "${C[@]}" -i "$osd_id" -f >"$DIR/log/osd.out" 2>&1 </dev/null &
  record_pid ceph-osd $!
  step osd-started
  wait_for "osd.$osd_id up" 60 \
    "const o=JSON.parse(require('child_process').execFileSync('timeout',['20','ceph','-c','$conf','osd','stat','-f','json']));process.exit(o.num_up_osds>=1?0:1)" \
    "$DIR/log/osd.$osd_id.log" || die "osd.$osd_id did not come up"
  step osd-up

  # The user is written straight to RADOS (this also creates the zone's pools), then the gateway starts.
  local key=vodkit-test secret
  secret=$(node -e "console.log(require('crypto').randomBytes(20).toString('hex'))")
  ceph_retry "$DIR/log/rgw-user.log" timeout 60 radosgw-admin "${C[@]}" -n client.rgw user create \
    --uid=vodkit --display-name=vodkit --access-key="$key" --secret-key="$secret" >/dev/null ||
    die "radosgw-admin user create failed: $(tail -n 5 "$DIR/log/rgw-user.log")"
  step rgw-user-created
  setsid radosgw "${C[@]}" -n client.rgw -f >"$DIR/log/rgw.out" 2>&1 </dev/null &
  record_pid radosgw $!
  wait_for radosgw 60 \
    "fetch('http://127.0.0.1:$rgw_port/').then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))" \
    "$DIR/log/client.rgw.log"
  step rgw-answering

  cat >>"$DIR/env" <<EOF
VOD_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port
VOD_TEST_S3_REGION=us-east-1
VOD_TEST_S3_ACCESS_KEY_ID=$key
VOD_TEST_S3_SECRET_ACCESS_KEY=$secret
VOD_TEST_S3_FORCE_PATH_STYLE=1
EOF
}

stop_services() {
  local dir=$1 name pid i
  [ -f "$dir/pids" ] || die "no services recorded in $dir"
  # SIGINT is PostgreSQL's fast shutdown. The Ceph cluster is throwaway memstore: SIGKILL, because a
  # terminated OSD first waits up to 5 s to tell a monitor that is going down with it.
  while read -r name pid; do
    if [ "$name" = postgres ]; then kill -INT "$pid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
  done <"$dir/pids"
  while read -r name pid; do
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) did not stop in 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done <"$dir/pids"
  rm -rf "$dir"
}

cmd=${1:-}
case "$cmd" in
  check)
    m=$(missing_binaries)
    if [ -n "$m" ]; then
      echo "missing $m: apt-get install postgresql radosgw ceph-mon ceph-osd ceph-common"
      exit 1
    fi
    ;;
  start)
    m=$(missing_binaries)
    [ -z "$m" ] || die "missing: $m (apt-get install postgresql radosgw ceph-mon ceph-osd ceph-common)"
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/vodkit-services.XXXXXX")
    chmod 755 "$DIR" # the postgres user must reach its data dir inside
    mkdir -p "$DIR/log" "$DIR/ceph"
    : >"$DIR/pids"
    echo "VOD_SERVICES_DIR=$DIR" >"$DIR/env"
    STARTED_NS=$(date +%s%N)
    # On any failure, take down what did start so nothing outlives a broken run (logs are kept).
    up=0
    pg_job=
    # A failed Ceph start waits for PostgreSQL's (a few seconds at most), so that the cleanup does not
    # pull the directory from under initdb and then miss the postmaster that comes up after it.
    # set +e: under errexit the first failing step of the cleanup (the wait for a PostgreSQL that
    # failed, say) ended it before `stop_services`, and the Ceph daemons outlived the failed start.
    trap '[ $up = 1 ] || { set +e; [ -z "$pg_job" ] || wait "$pg_job" 2>/dev/null; cp -r "$DIR/log" "$DIR.failed-logs" 2>/dev/null; stop_services "$DIR" >/dev/null 2>&1; log "logs kept in $DIR.failed-logs"; }' EXIT
    # PostgreSQL comes up while the Ceph monitor and OSD boot: the two share nothing.
    start_postgres &
    pg_job=$!
    start_ceph
    wait "$pg_job" || die "PostgreSQL did not start"
    up=1
    step all-up
    log "up in $((($(date +%s%N) - STARTED_NS) / 1000000)) ms (logs and timings in $DIR/log)"
    if [ -s "$DIR/retried" ]; then
      # `stop` removes $DIR: the evidence of a retried command outlives it.
      cp -r "$DIR/log" "$DIR.retry-logs"
      log "a Ceph command needed a retry: $(sort -u "$DIR/retried" | xargs -n1 basename | tr '\n' ' ')(logs kept in $DIR.retry-logs)"
    fi
    cat "$DIR/env"
    ;;
  env)
    dir=${2:-${VOD_SERVICES_DIR:-}}
    [ -n "$dir" ] && [ -f "$dir/env" ] || die "usage: services.sh env DIR (or set VOD_SERVICES_DIR)"
    cat "$dir/env"
    ;;
  stop)
    dir=${2:-${VOD_SERVICES_DIR:-}}
    [ -n "$dir" ] || die "usage: services.sh stop DIR (or set VOD_SERVICES_DIR)"
    stop_services "$dir"
    ;;
  *)
    die "usage: services.sh start | env [DIR] | stop [DIR] | check"
    ;;
esac
