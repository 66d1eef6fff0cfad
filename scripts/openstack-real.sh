#!/usr/bin/env bash
# A minimal real OpenStack on loopback, from Debian's packages, for the provider's API tests
# (test/helpers/openstack-real.ts calls it; docs/providers-openstack.md describes it).
#
#   scripts/openstack-real.sh install   as root: apt-get install what is missing
#   scripts/openstack-real.sh start     starts what is not running (in the background), makes
#                                       the test project once, prints the cloud's JSON file
#   scripts/openstack-real.sh stop      stops every process it started, by the pids it wrote
#   scripts/openstack-real.sh status    exit 0 when every service runs
#
# The cloud: a private PostgreSQL and RabbitMQ; Keystone and Placement (WSGI, threaded
# wsgiref); Glance (file store); Nova API, conductor, scheduler and compute with a fake
# driver (no hypervisor; its snapshots upload a few bytes); Neutron with ML2, flat networks,
# the router plugin and no agents (a loopback mechanism driver binds the ports). Its state
# lives in $SLUICE_OPENSTACK_REAL_DIR (default: $TMPDIR/sluice-openstack-real); delete that
# directory after `stop` to start from nothing.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
FILES="$HERE/openstack-real"
STATE="${SLUICE_OPENSTACK_REAL_DIR:-${TMPDIR:-/tmp}/sluice-openstack-real}"
PACKAGES=(python3-keystone python3-glance python3-placement python3-nova python3-neutron python3-psycopg2 rabbitmq-server)
SERVICES=(keystone placement glance nova-api nova-conductor nova-scheduler nova-compute neutron)
ADMIN_PASSWORD=sluice-admin
# Debian's python3 (a pyenv or venv one first on PATH lacks the OpenStack packages).
PY=/usr/bin/python3

log() { echo "openstack-real: $*" >&2; }
die() { log "$*"; exit 1; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || echo "$p"
  done
}

pg_bin() { compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1 | xargs -r dirname; }

cmd_install() {
  local need
  mapfile -t need < <(missing_packages)
  [ -n "$(pg_bin)" ] || need+=(postgresql)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "not installed: ${need[*]} (as root: apt-get install --no-install-recommends ${need[*]})"
  # One install at a time (npm test starts one in the background; the tests' helper asks too).
  mkdir -p "$STATE"; exec 8>"$STATE/install.lock"; flock 8
  mapfile -t need < <(missing_packages); [ -n "$(pg_bin)" ] || need+=(postgresql)
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing from Debian's packages: ${need[*]}"
  # The services' own packages would configure system-wide services; only their python3 packages are needed.
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${need[@]}" >/dev/null 2>&1 \
    || { apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${need[@]}" >/dev/null; }
}

# A pid file holds the pid and the process's start time: a pid reused after a reboot or a
# cleared machine is not taken for the service.
proc_start() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }
pid_of() { local f="$STATE/pids/$1"; [ -s "$f" ] && cut -d' ' -f1 "$f"; }
alive() {
  local f="$STATE/pids/$1" pid start
  [ -s "$f" ] || return 1
  read -r pid start <"$f"
  [ -n "$start" ] && [ "$(proc_start "$pid")" = "$start" ]
}

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_port() {
  local name=$1 port=$2 seconds=$3 i
  for ((i = 0; i < seconds * 5; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    alive "$name" || die "$name exited while starting; its log: $STATE/log/$name.log: $(tail -5 "$STATE/log/$name.log" 2>/dev/null)"
    sleep 0.2
  done
  die "$name did not listen on port $port within ${seconds}s; its log: $STATE/log/$name.log"
}

# Starts a command in the background, in a session of its own, its pid in pids/NAME.
spawn() {
  local name=$1; shift
  # fd 9 is the start lock: a service holding it would block every later start.
  setsid "$@" >>"$STATE/log/$name.log" 2>&1 </dev/null 9>&- &
  echo "$! $(proc_start $!)" >"$STATE/pids/$name"
}

console() { "$PY" "$FILES/console.py" "$@"; }

ports() {
  if [ ! -s "$STATE/ports.env" ]; then
    {
      for v in PG RABBIT RABBIT_DIST EPMD KEYSTONE PLACEMENT GLANCE NOVA NEUTRON; do echo "${v}_PORT=$(free_port)"; done
    } >"$STATE/ports.env"
  fi
  # shellcheck disable=SC1091
  source "$STATE/ports.env"
}

auth_section() {
  cat <<EOF
auth_type = password
auth_url = http://127.0.0.1:$KEYSTONE_PORT/v3
www_authenticate_uri = http://127.0.0.1:$KEYSTONE_PORT/v3
username = admin
password = $ADMIN_PASSWORD
project_name = admin
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
valid_interfaces = public
EOF
}

write_configs() {
  local db="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT" mq="rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/" c="$STATE/conf"
  mkdir -p "$c" "$STATE/keystone" "$STATE/glance/images" "$STATE/glance/staging" "$STATE/glance/tasks" "$STATE/nova/lock" "$STATE/neutron/lock" "$STATE/py/sluice_openstack_real-0.dist-info"
  cp "$FILES/nova-api-paste.ini" "$FILES/glance-api-paste.ini" "$FILES/neutron-api-paste.ini" "$c/"
  cp "$FILES/sluice_fake_virt.py" "$FILES/sluice_loopback_mech.py" "$STATE/py/"
  printf 'Metadata-Version: 2.1\nName: sluice-openstack-real\nVersion: 0\n' >"$STATE/py/sluice_openstack_real-0.dist-info/METADATA"
  printf '[neutron.ml2.mechanism_drivers]\nsluice_loopback = sluice_loopback_mech:LoopbackMechanismDriver\n' >"$STATE/py/sluice_openstack_real-0.dist-info/entry_points.txt"

  cat >"$c/keystone.conf" <<EOF
[database]
connection = $db/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $STATE/keystone/fernet-keys
[credential]
key_repository = $STATE/keystone/credential-keys
EOF
  cat >"$c/placement.conf" <<EOF
[placement_database]
connection = $db/placement
[api]
auth_strategy = keystone
[keystone_authtoken]
$(auth_section)
EOF
  cat >"$c/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $STATE/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $STATE/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $STATE/glance/tasks
[database]
connection = $db/glance
[paste_deploy]
flavor = keystone
config_file = $c/glance-api-paste.ini
[keystone_authtoken]
$(auth_section)
EOF
  cat >"$c/nova.conf" <<EOF
[DEFAULT]
transport_url = $mq
compute_driver = sluice_fake_virt.UploadingFakeDriver
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
host = sluice-compute
my_ip = 127.0.0.1
state_path = $STATE/nova
[wsgi]
api_paste_config = $c/nova-api-paste.ini
[api]
auth_strategy = keystone
[api_database]
connection = $db/nova_api
[database]
connection = $db/nova
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 2
[oslo_concurrency]
lock_path = $STATE/nova/lock
[oslo_messaging_notifications]
driver = noop
[keystone_authtoken]
$(auth_section)
[placement]
$(auth_section)
[neutron]
$(auth_section)
[keystone]
$(auth_section)
[glance]
valid_interfaces = public
EOF
  cat >"$c/neutron.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $NEUTRON_PORT
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $mq
api_paste_config = $c/neutron-api-paste.ini
state_path = $STATE/neutron
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agent_notification = false
[database]
connection = $db/neutron
[oslo_concurrency]
lock_path = $STATE/neutron/lock
[keystone_authtoken]
$(auth_section)
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers = sluice_loopback
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
EOF
}

start_postgres() {
  alive postgres && return 0
  local bin; bin="$(pg_bin)"; [ -n "$bin" ] || die "PostgreSQL is not installed"
  local data="$STATE/pg" as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"; [ ${#as[@]} -gt 0 ] && chown postgres "$data"
    "${as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust >"$STATE/log/initdb.log" 2>&1
  fi
  rm -f "$data/postmaster.pid"
  spawn postgres "${as[@]}" "$bin/postgres" -D "$data" -p "$PG_PORT" -k "$data" -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300
  wait_port postgres "$PG_PORT" 60
}

start_rabbitmq() {
  alive rabbitmq && return 0
  local r="$STATE/rabbitmq"
  mkdir -p "$r"
  echo '[].' >"$r/enabled_plugins"
  # A private epmd, so every Erlang process of this cloud is stoppable by the pids it wrote.
  alive epmd || spawn epmd epmd -port "$EPMD_PORT" -address 127.0.0.1
  wait_port epmd "$EPMD_PORT" 30
  spawn rabbitmq env HOME="$r" ERL_EPMD_PORT="$EPMD_PORT" RABBITMQ_NODENAME=sluice@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" RABBITMQ_MNESIA_BASE="$r/mnesia" RABBITMQ_LOG_BASE="$r/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$r/enabled_plugins" RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_PID_FILE="$r/pid" /usr/lib/rabbitmq/bin/rabbitmq-server
}

create_databases() {
  local d bin; bin="$(pg_bin)"
  for d in keystone placement glance nova_api nova nova_cell0 neutron; do
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = '$d'" | grep -q 1 \
      || "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $d" >/dev/null
  done
}

# Schemas, once: each in the background, all awaited.
migrate() {
  [ -e "$STATE/migrated" ] && return 0
  local c="$STATE/conf" db="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT" pids=() p
  (console keystone-manage --config-file "$c/keystone.conf" db_sync \
    && console keystone-manage --config-file "$c/keystone.conf" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" \
    && console keystone-manage --config-file "$c/keystone.conf" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)") >"$STATE/log/migrate-keystone.log" 2>&1 & pids+=($!)
  console placement-manage --config-file "$c/placement.conf" db sync >"$STATE/log/migrate-placement.log" 2>&1 & pids+=($!)
  console glance-manage --config-file "$c/glance-api.conf" db_sync >"$STATE/log/migrate-glance.log" 2>&1 & pids+=($!)
  console neutron-db-manage --config-file "$c/neutron.conf" upgrade heads >"$STATE/log/migrate-neutron.log" 2>&1 & pids+=($!)
  (console nova-manage --config-file "$c/nova.conf" api_db sync \
    && console nova-manage --config-file "$c/nova.conf" cell_v2 map_cell0 --database_connection "$db/nova_cell0" \
    && console nova-manage --config-file "$c/nova.conf" cell_v2 create_cell --name cell1 \
    && console nova-manage --config-file "$c/nova.conf" db sync) >"$STATE/log/migrate-nova.log" 2>&1 & pids+=($!)
  for p in "${pids[@]}"; do wait "$p" || die "a schema migration failed; see $STATE/log/migrate-*.log"; done
  touch "$STATE/migrated"
}

start_services() {
  local c="$STATE/conf"
  local py="PYTHONPATH=$STATE/py"
  if [ ! -e "$STATE/bootstrapped-keystone" ]; then
    console keystone-manage --config-file "$c/keystone.conf" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
      --bootstrap-region-id RegionOne --bootstrap-public-url "http://127.0.0.1:$KEYSTONE_PORT/v3" \
      --bootstrap-internal-url "http://127.0.0.1:$KEYSTONE_PORT/v3" >"$STATE/log/bootstrap-keystone.log" 2>&1
    touch "$STATE/bootstrapped-keystone"
  fi
  alive keystone || spawn keystone env OS_KEYSTONE_CONFIG_FILES="$c/keystone.conf" "$PY" "$FILES/wsgi_serve.py" keystone "$KEYSTONE_PORT"
  alive placement || spawn placement env OS_PLACEMENT_CONFIG_DIR="$c" "$PY" "$FILES/wsgi_serve.py" placement "$PLACEMENT_PORT"
  alive glance || spawn glance "$PY" "$FILES/console.py" glance-api --config-file "$c/glance-api.conf"
  alive neutron || spawn neutron env "$py" "$PY" "$FILES/console.py" neutron-server --config-file "$c/neutron.conf"
  wait_port keystone "$KEYSTONE_PORT" 120
}

# Nova's services need Keystone and Placement answering when they start (nova-compute and
# the scheduler exit otherwise).
start_nova() {
  local c="$STATE/conf" py="PYTHONPATH=$STATE/py"
  alive nova-api || spawn nova-api "$PY" "$FILES/console.py" nova-api --config-file "$c/nova.conf"
  alive nova-conductor || spawn nova-conductor "$PY" "$FILES/console.py" nova-conductor --config-file "$c/nova.conf"
  alive nova-scheduler || spawn nova-scheduler "$PY" "$FILES/console.py" nova-scheduler --config-file "$c/nova.conf"
  alive nova-compute || spawn nova-compute env "$py" SLUICE_FAKE_UPLOAD_FILE="$STATE/fake-upload-seconds" SLUICE_MODULE_ALIAS="nova.virt.sluice_fake_virt=$STATE/py/sluice_fake_virt.py" "$PY" "$FILES/console.py" nova-compute --config-file "$c/nova.conf"
}

register_endpoints() {
  [ -e "$STATE/endpoints" ] && return 0
  "$PY" - "$KEYSTONE_PORT" "$ADMIN_PASSWORD" "$PLACEMENT_PORT" "$GLANCE_PORT" "$NOVA_PORT" "$NEUTRON_PORT" <<'EOF'
import json, sys, urllib.request
kport, password, placement, glance, nova, neutron = sys.argv[1:]
ks = f'http://127.0.0.1:{kport}/v3'
def call(method, path, body, token=None):
    req = urllib.request.Request(ks + path, data=json.dumps(body).encode() if body is not None else None, method=method,
                                 headers={'Content-Type': 'application/json', **({'X-Auth-Token': token} if token else {})})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.headers, json.loads(r.read() or b'null')
h, _ = call('POST', '/auth/tokens', {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': 'admin', 'domain': {'name': 'Default'}, 'password': password}}},
                                             'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}})
token = h['X-Subject-Token']
for kind, name, url in [('placement', 'placement', f'http://127.0.0.1:{placement}'), ('image', 'glance', f'http://127.0.0.1:{glance}'),
                        ('compute', 'nova', f'http://127.0.0.1:{nova}/v2.1'), ('network', 'neutron', f'http://127.0.0.1:{neutron}')]:
    _, s = call('POST', '/services', {'service': {'type': kind, 'name': name}}, token)
    for interface in ('public', 'internal'):
        call('POST', '/endpoints', {'endpoint': {'service_id': s['service']['id'], 'interface': interface, 'url': url, 'region_id': 'RegionOne'}}, token)
EOF
  touch "$STATE/endpoints"
}

# Neutron 21 answers 500 to a port listing (Port has no attribute port_forwardings) until a
# query of another kind has made SQLAlchemy configure its mappers: one network listing does.
warm_neutron() {
  "$PY" - "$KEYSTONE_PORT" "$ADMIN_PASSWORD" "$NEUTRON_PORT" <<'EOF'
import json, sys, urllib.request
kport, password, nport = sys.argv[1:]
auth = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': 'admin', 'domain': {'name': 'Default'}, 'password': password}}},
                 'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}}
req = urllib.request.Request(f'http://127.0.0.1:{kport}/v3/auth/tokens', data=json.dumps(auth).encode(), method='POST', headers={'Content-Type': 'application/json'})
with urllib.request.urlopen(req, timeout=60) as r:
    token = r.headers['X-Subject-Token']
with urllib.request.urlopen(urllib.request.Request(f'http://127.0.0.1:{nport}/v2.0/networks', headers={'X-Auth-Token': token}), timeout=60):
    pass
EOF
}

# Nova schedules only onto a compute service that runs, is mapped to a cell, and whose
# resource provider Placement has; and it counts a service as up only while its last
# heartbeat is recent. On a restart the mapping is already in the database and the heartbeat
# is the old run's, so the wait is for a heartbeat newer than the wait itself (nova-compute
# sends its first one after it has reported its resources).
wait_compute() {
  local i since sql bin; bin="$(pg_bin)"
  sql() { "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d nova -qtAc "$1" 2>/dev/null; }
  since="$(sql "SELECT now() AT TIME ZONE 'utc'")"
  for ((i = 0; i < 300; i++)); do
    if console nova-manage --config-file "$STATE/conf/nova.conf" cell_v2 list_hosts 2>/dev/null | grep -q sluice-compute \
      && [ "$(sql "SELECT count(*) FROM services WHERE \"binary\" = 'nova-compute' AND deleted = 0 AND updated_at > '$since'")" -gt 0 ] 2>/dev/null; then return 0; fi
    for s in "${SERVICES[@]}"; do alive "$s" || die "$s exited while starting; its log: $STATE/log/$s.log: $(tail -5 "$STATE/log/$s.log")"; done
    sleep 1
  done
  die "nova-compute was not mapped to a cell within 300s; see $STATE/log/nova-*.log"
}

cmd_start() {
  [ -z "$(missing_packages)" ] && [ -n "$(pg_bin)" ] || die "not installed: $(missing_packages | tr '\n' ' ') (run: scripts/openstack-real.sh install, as root)"
  mkdir -p "$STATE/pids" "$STATE/log"
  chmod 755 "$STATE"
  exec 9>"$STATE/lock"
  flock 9
  # Reused as it runs: every process alive and the test project made.
  if [ -s "$STATE/cloud.json" ] && cmd_status >/dev/null; then echo "$STATE/cloud.json"; return 0; fi
  ports
  write_configs
  start_postgres
  start_rabbitmq
  create_databases
  migrate
  start_services
  register_endpoints
  wait_port placement "$PLACEMENT_PORT" 120
  wait_port rabbitmq "$RABBIT_PORT" 120
  start_nova
  wait_port glance "$GLANCE_PORT" 120
  wait_port nova-api "$NOVA_PORT" 120
  wait_port neutron "$NEUTRON_PORT" 120
  warm_neutron || die "Neutron does not answer; its log: $STATE/log/neutron.log"
  wait_compute
  if [ ! -s "$STATE/cloud.json" ]; then
    "$PY" "$FILES/bootstrap.py" "http://127.0.0.1:$KEYSTONE_PORT/v3" "$ADMIN_PASSWORD" "$STATE/cloud.json.new" >"$STATE/log/bootstrap.log" 2>&1 \
      || die "making the test project failed: $(tail -5 "$STATE/log/bootstrap.log")"
    mv "$STATE/cloud.json.new" "$STATE/cloud.json"
  fi
  echo "$STATE/cloud.json"
}

cmd_stop() {
  local f pid name
  [ -d "$STATE/pids" ] || return 0
  # Users before what they use: RabbitMQ, were its epmd gone first, would start one of its own.
  for name in nova-compute nova-scheduler nova-conductor nova-api neutron glance placement keystone rabbitmq epmd postgres; do
    f="$STATE/pids/$name"
    [ -e "$f" ] || continue
    pid="$(pid_of "$name")"
    # Each was started in a session of its own: its pid is its process group's.
    if alive "$name"; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do alive "$name" || break; sleep 0.1; done
      if alive "$name"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
      log "stopped $name ($pid)"
    fi
    rm -f "$f"
  done
}

cmd_status() {
  local s ok=0
  for s in postgres epmd rabbitmq "${SERVICES[@]}"; do
    if alive "$s"; then echo "$s running ($(pid_of "$s"))"; else echo "$s not running"; ok=1; fi
  done
  return $ok
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
