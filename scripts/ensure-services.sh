#!/usr/bin/env bash
# Make sure what the tests need from the machine is there: the MariaDB server of the MySQL tests on
# 127.0.0.1:3306 (root, no password), the PostgreSQL server of the PostgreSQL tests on
# 127.0.0.1:5432 (role postgres, trusted from this host), Debian's Chromium for the web end-to-end run, Debian's
# redis-server for the Celery tests, Debian's prometheus (server and promtool) for the monitoring
# tests and a Compose CLI to check deploy/. On a machine without them, install Debian's packages
# first. Prints what it did.
set -uo pipefail
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_updated=""
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  apt-get install -y -qq "$@" >/dev/null
}

if [ -x /usr/bin/chromium ]; then
  echo "Chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
else
  echo "Chromium: not installed; installing Debian's chromium"
  apt_install chromium || { echo "Chromium could not be installed" >&2; exit 1; }
fi
# Without a CJK font the e2e screenshots show Chinese as boxes (the checks pass either way).
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "Fonts: no Chinese font; installing Debian's fonts-noto-cjk"
  apt_install --no-install-recommends fonts-noto-cjk || echo "fonts-noto-cjk could not be installed" >&2
fi

# The Celery tests start redis-servers of their own (on free ports): only the binary is needed.
if [ -x /usr/bin/redis-server ]; then
  echo "Redis: $(/usr/bin/redis-server --version | cut -d' ' -f1-3)"
else
  echo "Redis: not installed; installing Debian's redis-server"
  apt_install redis-server || { echo "redis-server could not be installed" >&2; exit 1; }
fi

# The monitoring tests start Prometheus servers of their own on free ports and run promtool: only
# the binaries are needed. The package starts a service on :9090 where it can; stop and disable
# it, so nothing of ours is left listening (a prometheus already running there is not ours).
if [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; then
  echo "Prometheus: $(/usr/bin/prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3)"
else
  echo "Prometheus: not installed; installing Debian's prometheus"
  running_before=""
  port_open 9090 && running_before=1
  apt_install --no-install-recommends prometheus || { echo "prometheus could not be installed" >&2; exit 1; }
  if [ -z "$running_before" ]; then
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now prometheus >/dev/null 2>&1 || true
    elif [ -x /etc/init.d/prometheus ]; then
      /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    fi
  fi
fi

# The deploy test validates deploy/docker-compose.yml with `config` (no Docker engine needed).
if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; then
  echo "Compose CLI: present"
else
  echo "Compose CLI: not installed; installing Debian's docker-compose"
  apt_install --no-install-recommends docker-compose || echo "docker-compose could not be installed; the compose check will be skipped" >&2
fi

# PostgreSQL: Debian's cluster, started with pg_ctlcluster. Like MariaDB's root below, the role
# `postgres` is trusted on 127.0.0.1 (the tests create and drop throwaway databases as it).
if port_open 5432; then
  echo "PostgreSQL: running on 127.0.0.1:5432"
else
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "PostgreSQL: not installed; installing Debian's postgresql"
    apt_install postgresql || echo "postgresql could not be installed" >&2
  fi
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR == 1 { print $1, $2 }')
  if [ -z "$cluster" ] && command -v pg_createcluster >/dev/null 2>&1; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    pg_createcluster "$version" main >/dev/null && cluster="$version main"
  fi
  if [ -n "$cluster" ]; then
    echo "PostgreSQL: starting cluster $cluster"
    hba="/etc/postgresql/${cluster% *}/${cluster#* }/pg_hba.conf"
    grep -q '^host all postgres 127.0.0.1/32 trust' "$hba" \
      || sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    # shellcheck disable=SC2086  # "version name", two arguments
    pg_ctlcluster $cluster start || pg_ctlcluster $cluster reload
  fi
  for _ in $(seq 1 60); do
    port_open 5432 && break
    sleep 1
  done
  if port_open 5432; then
    echo "PostgreSQL: running on 127.0.0.1:5432"
  else
    echo "PostgreSQL: could not be started; the tests marked 'postgres' will fail" >&2
  fi
fi

if port_open 3306; then
  echo "MariaDB: running on 127.0.0.1:3306"
  exit 0
fi
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "MariaDB: not installed; installing Debian's mariadb-server"
  apt_install mariadb-server
fi
echo "MariaDB: starting"
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql \
  --bind-address=127.0.0.1 --port=3306
for _ in $(seq 1 60); do
  if port_open 3306; then
    # Debian's root uses socket auth; the tests connect over TCP as root with no password.
    mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;" 2>/dev/null || true
    echo "MariaDB: running on 127.0.0.1:3306"
    exit 0
  fi
  sleep 1
done
echo "MariaDB: could not be started; the tests marked 'mysql' will fail" >&2
exit 1
