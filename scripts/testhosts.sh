#!/usr/bin/env bash
# Test hosts for SSH tests: each host is a network namespace with its own
# sshd (own ed25519 host key, key-only root login) and its own mount
# namespace with private tmpfs /root and /tmp, so nothing reaches a host
# except over SSH. Hosts hang off one bridge in the root namespace
# (stixbr0, 10.213.0.1/16); every address is inside 10.213.0.0/16 and no
# namespace has a default route, so nothing routes anywhere else.
#
#   testhosts.sh up N [STATE_DIR]        N hosts 10.213.<net>.11.. (net: a free /24)
#   testhosts.sh add-host NAME IP [STATE_DIR [USER KEYS HOME]]
#       one host at a given 10.213 address; with USER other than root, that
#       is its only login (uid/gid 1000, keys from the file KEYS) and the
#       directory HOME of this machine is its /home/USER (it outlives the host)
#   testhosts.sh reserve-nets PID        a free block 10.213.N.0/21 (N = 128,
#       136, .. 248) for the run of process PID: prints N; free again once
#       PID is gone (scripts/test.sh gives it to the local AWS's subnets)
#   testhosts.sh kill-host NAME          kill its sshd and remove its namespace
#   testhosts.sh cut-host NAME           unplug it (link down; its processes live on)
#   testhosts.sh down [STATE_DIR]        remove every host of STATE_DIR (idempotent)
#
# STATE_DIR (default /tmp/stix-testhosts) receives the client key pair
# (id_ed25519), and hosts.json:
#   {"key": ".../id_ed25519", "user": "root", "port": 22,
#    "hosts": [{"name": "stix1h1", "ip": "10.213.1.11"}, ...]}
# Several STATE_DIRs (parallel test runs) share the bridge; each `up` takes
# its own /24 below 10.213.128.0. Needs root, iproute2, unshare and
# Debian's openssh-server.
set -euo pipefail

BRIDGE=stixbr0
BRIDGE_ADDR=10.213.0.1/16
SSHD=${SSHD:-/usr/sbin/sshd}
LOCK=${STIX_TESTHOSTS_LOCK:-/run/lock/stix-testhosts.lock}

die() { echo "testhosts: $*" >&2; exit 1; }

state_dir() { echo "${1:-${STIX_TESTHOSTS_DIR:-/tmp/stix-testhosts}}"; }

require() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  command -v ip >/dev/null || die "ip (iproute2) not found"
  command -v unshare >/dev/null || die "unshare not found"
  [ -x "$SSHD" ] || die "$SSHD not found (apt-get install openssh-server)"
}

with_lock() {
  mkdir -p "$(dirname "$LOCK")"
  exec 9>"$LOCK"
  flock -w 120 9 || die "timed out waiting for $LOCK"
}

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_ADDR" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi
  # Bridged frames may pass through netfilter (br_netfilter); let the
  # hosts' own traffic through when a firewall tool is present.
  if command -v iptables >/dev/null 2>&1; then
    iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null ||
      iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
  fi
}

maybe_remove_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || return 0
  # Other state dirs may still have hosts on it.
  if [ -z "$(ls "/sys/class/net/$BRIDGE/brif" 2>/dev/null)" ]; then
    ip link del "$BRIDGE" 2>/dev/null || true
  fi
}

ensure_client_key() {
  local dir=$1
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C stix-testhosts -f "$dir/id_ed25519"
}

# The hosts file, rewritten from the per-host records in STATE_DIR/hosts/.
write_hosts_file() {
  local dir=$1 first=1 name ip
  {
    printf '{"key": "%s", "user": "root", "port": 22, "hosts": [' "$dir/id_ed25519"
    for rec in "$dir"/hosts/*/ip; do
      [ -f "$rec" ] || continue
      name=$(basename "$(dirname "$rec")")
      ip=$(cat "$rec")
      [ $first = 1 ] || printf ', '
      first=0
      printf '{"name": "%s", "ip": "%s"}' "$name" "$ip"
    done
    printf ']}\n'
  } >"$dir/hosts.json.tmp"
  mv "$dir/hosts.json.tmp" "$dir/hosts.json"
}

# sshd_config of a host: key-only logins of `root` (the plain SSH test
# hosts) or of one non-root user with its keys in its home, as on a cloud
# VM (StrictModes on: the home and ~/.ssh must belong to the user).
write_sshd_config() {
  local file=$1 ip=$2 user=$3 root_login keys strict
  if [ "$user" = root ]; then
    root_login=prohibit-password keys=/root/.ssh/authorized_keys strict=no
  else
    root_login=no keys=%h/.ssh/authorized_keys strict=yes
  fi
  cat >"$file" <<EOF
ListenAddress $ip
Port 22
HostKey /root/.ssh/ssh_host_ed25519_key
PidFile none
PermitRootLogin $root_login
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $keys
UsePAM no
StrictModes $strict
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
MaxSessions 200
MaxStartups 100:30:200
EOF
}

start_host() {
  local dir=$1 name=$2 ip=$3 user=${4:-root} keys=${5:-} home=${6:-}
  case "$ip" in 10.213.*) ;; *) die "address $ip is outside 10.213.0.0/16" ;; esac
  [ ${#name} -le 12 ] || die "host name $name is too long (12 characters at most)"
  ip netns list | grep -qw "^$name" && die "host $name already exists"
  case "$user" in *[!a-z0-9_-]* | "") die "bad user name $user" ;; esac
  [ -n "$keys" ] || keys=$dir/id_ed25519.pub
  if [ "$user" != root ]; then
    [ -n "$home" ] || die "user $user needs a home directory"
    mkdir -p "$home"
  fi
  local hdir="$dir/hosts/$name" veth="v$name"
  mkdir -p "$hdir"
  rm -f "$hdir/ssh_host_ed25519_key" "$hdir/ssh_host_ed25519_key.pub"
  ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$hdir/ssh_host_ed25519_key"
  write_sshd_config "$hdir/sshd_config" "$ip" "$user"
  ip netns add "$name"
  ip link add "$veth" type veth peer name eth0 netns "$name"
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$name" link set lo up
  ip -n "$name" addr add "$ip/16" dev eth0
  ip -n "$name" link set eth0 up
  mkdir -p /run/sshd
  # Inside the host: its own pid namespace and /proc (an agent there sees
  # only the host's processes), private /root and /tmp, its sshd files, a
  # minimal shell rc (the machine's own rc runs pyenv init), then sshd
  # under a bash that, as pid 1, reaps orphaned daemons. A non-root user
  # (uid/gid 1000, replacing whoever has 1000 here) exists only in the
  # host's copies of /etc/passwd, /etc/group and /etc/shadow, bind-mounted
  # over the real ones; its home is HOME, so it outlives the host.
  setsid ip netns exec "$name" unshare --mount --uts --pid --fork --mount-proc \
      --propagation private -- /bin/bash -c '
    set -e
    hostname "$4"
    mount -t tmpfs -o mode=0700 tmpfs /root
    mkdir -p /root/.ssh
    cp "$1/ssh_host_ed25519_key" "$1/sshd_config" /root/.ssh/
    chmod 600 /root/.ssh/ssh_host_ed25519_key
    rc="export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    if [ "$5" = root ]; then
      cp "$2" /root/.ssh/authorized_keys
      chmod 600 /root/.ssh/authorized_keys
      printf "%s\n" "$rc" >/root/.bashrc
      cp /root/.bashrc /root/.profile
    else
      u=$5 h=/home/$5
      mkdir -p /root/etc
      for f in passwd group shadow; do
        grep -v -e "^$u:" -e "^[^:]*:[^:]*:1000:" "/etc/$f" >"/root/etc/$f" || true
      done
      echo "$u:x:1000:1000:$u:$h:/bin/bash" >>/root/etc/passwd
      echo "$u:x:1000:" >>/root/etc/group
      echo "$u:*:20000:0:99999:7:::" >>/root/etc/shadow
      chmod 644 /root/etc/passwd /root/etc/group
      chmod 640 /root/etc/shadow
      for f in passwd group shadow; do mount --bind "/root/etc/$f" "/etc/$f"; done
      mount -t tmpfs -o mode=0755 tmpfs /home
      mkdir -p "$h"
      mount --bind "$6" "$h"
      mkdir -p "$h/.ssh"
      cp "$2" "$h/.ssh/authorized_keys"
      [ -f "$h/.bashrc" ] || printf "%s\n" "$rc" >"$h/.bashrc"
      [ -f "$h/.profile" ] || cp "$h/.bashrc" "$h/.profile"
      chown 1000:1000 "$h" "$h/.ssh" "$h/.ssh/authorized_keys" "$h/.bashrc" "$h/.profile"
      chmod 755 "$h"
      chmod 700 "$h/.ssh"
      chmod 600 "$h/.ssh/authorized_keys"
    fi
    mount -t tmpfs -o mode=1777 tmpfs /tmp
    set +e
    "$3" -D -f /root/.ssh/sshd_config -E /root/.ssh/sshd.log &
    trap "exit 0" TERM
    while kill -0 $! 2>/dev/null; do sleep 1; done
  ' bash "$hdir" "$keys" "$SSHD" "$name" "$user" "$home" </dev/null >"$hdir/start.log" 2>&1 9>&- &
  echo $! >"$hdir/pid"
  echo "$ip" >"$hdir/ip"
}

wait_ready() {
  local ip=$1 name=$2 i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/$ip/22") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  die "sshd of $name did not come up at $ip:22"
}

kill_host() {
  local name=$1 pids
  if ip netns list | grep -qw "^$name"; then
    pids=$(ip netns pids "$name" 2>/dev/null || true)
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    ip netns del "$name" 2>/dev/null || true
  fi
  ip link del "v$name" 2>/dev/null || true
}

free_net() {
  local n
  for n in $(seq 1 127); do
    if ! ip netns list | grep -q "^stix${n}h"; then echo "$n"; return; fi
  done
  die "no free 10.213.N.0/24 left"
}

# Blocks of eight /24s for runs that pick their own addresses (the local
# AWS's VPC subnets): a mark file per block names the process holding it.
NETS_DIR=${STIX_TESTHOSTS_NETS:-/run/lock/stix-testhosts-nets}
reserve_nets() {
  local pid=$1 n holder
  mkdir -p "$NETS_DIR"
  for n in $(seq 128 8 248); do
    holder=$(cat "$NETS_DIR/$n" 2>/dev/null || true)
    if [ -z "$holder" ] || ! kill -0 "$holder" 2>/dev/null; then
      echo "$pid" >"$NETS_DIR/$n"
      echo "$n"
      return
    fi
  done
  die "no free 10.213.N.0/21 block left"
}

cmd=${1:-}
case "$cmd" in
  up)
    require
    count=${2:?usage: testhosts.sh up N [STATE_DIR]}
    dir=$(state_dir "${3:-}")
    with_lock
    ensure_bridge
    ensure_client_key "$dir"
    net=${STIX_TESTHOSTS_NET:-$(free_net)}
    for i in $(seq 1 "$count"); do
      start_host "$dir" "stix${net}h$i" "10.213.$net.$((10 + i))"
    done
    for i in $(seq 1 "$count"); do wait_ready "10.213.$net.$((10 + i))" "stix${net}h$i"; done
    write_hosts_file "$dir"
    echo "$dir/hosts.json"
    ;;
  add-host)
    require
    usage="usage: testhosts.sh add-host NAME IP [STATE_DIR [USER KEYS HOME]]"
    name=${2:?$usage}
    ip=${3:?$usage}
    dir=$(state_dir "${4:-}")
    with_lock
    ensure_bridge
    ensure_client_key "$dir"
    start_host "$dir" "$name" "$ip" "${5:-root}" "${6:-}" "${7:-}"
    wait_ready "$ip" "$name"
    write_hosts_file "$dir"
    echo "$dir/hosts.json"
    ;;
  reserve-nets)
    pid=${2:?usage: testhosts.sh reserve-nets PID}
    with_lock
    reserve_nets "$pid"
    ;;
  kill-host)
    name=${2:?usage: testhosts.sh kill-host NAME}
    kill_host "$name"
    ;;
  cut-host)
    name=${2:?usage: testhosts.sh cut-host NAME}
    ip link set "v$name" down
    ;;
  down)
    dir=$(state_dir "${2:-}")
    [ "$(id -u)" = 0 ] || die "must run as root"
    with_lock
    for rec in "$dir"/hosts/*/ip; do
      [ -f "$rec" ] || continue
      kill_host "$(basename "$(dirname "$rec")")"
    done
    rm -rf "$dir/hosts" "$dir/hosts.json"
    maybe_remove_bridge
    ;;
  *)
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
