# shellcheck shell=bash
# Shared by scripts that need a real WordPress (sourced, not run; bash). Debian 12, as root,
# no Docker: see infra/wordpress/README.md.
#
#   ensure_wordpress   installs PHP + MariaDB and prepares one WordPress tree that every test
#                      site shares; exports IGNY8_WP_ROOT
#   start_mariadb      starts a private MariaDB for this script, stopped when it exits;
#                      exports IGNY8_WP_MYSQL_SOCKET and IGNY8_WP_STATE
#
# Sites are then started and stopped with infra/wordpress/site.sh.

IGNY8_WP_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Packages that WordPress and our scripts need. Not Debian's `wordpress` package itself:
# installing it pulls in apache2 and starts it.
IGNY8_WP_APT_PACKAGES=(php-cli php-mysql php-gd php-curl php-xml php-mbstring php-zip php-intl
  mariadb-server-core mariadb-client-core curl)
# Downloaded and unpacked instead of installed: WordPress, the default theme, and the
# packages Debian's WordPress links some of its files to.
IGNY8_WP_DEBS=(wordpress wordpress-theme-twentytwentythree php-getid3 libjs-underscore libjs-cropper)

# The cache folder (absolute), default target/wordpress in the repository (ignored by git).
igny8_wp_cache() {
  local cache="${IGNY8_WP_CACHE:-$IGNY8_WP_REPO/target/wordpress}"
  mkdir -p "$cache"
  (cd "$cache" && pwd)
}

# igny8_wp_on_exit COMMAND — runs COMMAND when the script exits, before any EXIT trap that
# was already set (chained, not replaced).
igny8_wp_on_exit() {
  local command="$1" previous
  previous="$(trap -p EXIT)"
  eval "set -- $previous" # -> trap -- 'previous command' EXIT
  # shellcheck disable=SC2064  # expanded now on purpose
  trap -- "$command${3:+; $3}" EXIT
}

_igny8_wp_apt_updated=""
_igny8_wp_apt() { # apt-get ARGS... — with `apt-get update` once first
  if [ -z "$_igny8_wp_apt_updated" ]; then
    apt-get update -q >/dev/null
    _igny8_wp_apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -q -o APT::Sandbox::User=root "$@"
}

ensure_wordpress() {
  local cache
  cache="$(igny8_wp_cache)" || return 1
  # Several scripts may prepare the cache at once: one at a time.
  (
    flock 9
    _igny8_wp_install_packages "$cache" && _igny8_wp_unpack "$cache" && _igny8_wp_copy_ours "$cache/root"
  ) 9>"$cache/.lock" || return 1
  export IGNY8_WP_ROOT="$cache/root"
}

_igny8_wp_install_packages() { # CACHE — installs only what is missing (no apt-get otherwise)
  local missing=()
  mapfile -t missing < <(
    for package in "${IGNY8_WP_APT_PACKAGES[@]}"; do
      dpkg-query -W -f='${db:Status-Status}\n' "$package" 2>/dev/null | grep -qx installed || echo "$package"
    done
  )
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "installing ${missing[*]}" >&2
  _igny8_wp_apt install -y --no-install-recommends "${missing[@]}" >"$1/apt.log" 2>&1 ||
    { tail -20 "$1/apt.log" >&2; echo "apt-get install failed (log: $1/apt.log)" >&2; return 1; }
}

_igny8_wp_unpack() { # CACHE — unpacks Debian's WordPress into CACHE/root, once
  local cache="$1" root="$1/root" wp="$1/unpacked/usr/share/wordpress" deb
  [ -e "$root/.igny8-ready" ] && return 0
  echo "unpacking Debian's WordPress into $root" >&2
  rm -rf "$cache/debs" "$cache/unpacked" "$root" "$root.new" && mkdir -p "$cache/debs" || return 1
  (cd "$cache/debs" && _igny8_wp_apt download "${IGNY8_WP_DEBS[@]}") >"$cache/apt.log" 2>&1 ||
    { tail -20 "$cache/apt.log" >&2; echo "apt-get download failed (log: $cache/apt.log)" >&2; return 1; }
  for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$cache/unpacked" || return 1; done
  # Debian's tree points at system paths (/etc/wordpress for its config and .htaccess,
  # /etc/ssl for the CA bundle): drop those links; our own config is copied in later.
  rm -f "$wp/wp-config.php" "$wp/.htaccess" "$wp/wp-includes/certificates/ca-bundle.crt" || return 1
  cp /etc/ssl/certs/ca-certificates.crt "$wp/wp-includes/certificates/ca-bundle.crt" 2>/dev/null ||
    touch "$wp/wp-includes/certificates/ca-bundle.crt" || return 1
  # The other links are relative (getID3, underscore.js, cropper, the theme) and lead into
  # the other unpacked packages: -L copies the files they point to.
  cp -rL "$wp" "$root.new" || return 1
  if [ -n "$(find "$root.new" -type l)" ]; then
    echo "symlinks left in $root.new: Debian's package changed, update infra/wordpress/lib.sh" >&2
    return 1
  fi
  mkdir -p "$root.new/wp-content/uploads" "$root.new/wp-content/mu-plugins" &&
    rm -rf "$cache/unpacked" && mv "$root.new" "$root" && touch "$root/.igny8-ready"
}

_igny8_wp_copy_ours() { # ROOT — our files, copied every time so that edits take effect
  local here="$IGNY8_WP_REPO/infra/wordpress"
  cp "$here/wp-config.php" "$here/router.php" "$1/" &&
    cp "$here"/mu-plugins/*.php "$1/wp-content/mu-plugins/" &&
    # The product's plugin, linked so that its edits take effect too; site.sh start
    # activates it when the folder exists.
    ln -sfn "$IGNY8_WP_REPO/wordpress/igny8-bridge" "$1/wp-content/plugins/igny8-bridge"
}

igny8_wp_alive() { # PID — true while the process runs (an exited process that nobody has
  # reaped yet, a zombie, counts as ended: servers started with setsid are reaped by init)
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat="${stat##*) }"
  [ "${stat:0:1}" != Z ]
}

igny8_wp_sql() { # SQL — runs it as root on the MariaDB at IGNY8_WP_MYSQL_SOCKET
  mariadb --no-defaults --socket="$IGNY8_WP_MYSQL_SOCKET" -uroot -N -B -e "$1"
}

# start_mariadb — one private MariaDB (data and socket in a temporary folder, no TCP) for
# every site of this script; stopped, with the sites still running, when the script exits.
# Reuses the server at IGNY8_WP_MYSQL_SOCKET when it answers.
start_mariadb() {
  if [ -n "${IGNY8_WP_MYSQL_SOCKET:-}" ] && igny8_wp_sql "SELECT 1" >/dev/null 2>&1; then
    echo "using MariaDB at $IGNY8_WP_MYSQL_SOCKET" >&2
    return
  fi
  local dir pid
  # Short path: a unix socket path must stay under 108 bytes.
  dir="$(mktemp -d "${TMPDIR:-/tmp}/igny8-mariadb.XXXXXX")"
  # Root gets no password (authentication "normal", not unix_socket): PHP connects as root.
  mariadb-install-db --no-defaults --datadir="$dir/data" --user=root \
    --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
    { cat "$dir/install.log" >&2; echo "mariadb-install-db failed" >&2; return 1; }
  # Test data need no durability: no binlog, no flush at each commit, no doublewrite.
  mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --user=root \
    --skip-networking --skip-name-resolve --skip-log-bin --max-connections=1000 \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --innodb-buffer-pool-size=256M \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    </dev/null >/dev/null 2>&1 &
  pid=$!
  export IGNY8_WP_MYSQL_SOCKET="$dir/mysqld.sock"
  # Sites of this run keep their pid files here, so that they are stopped with it.
  export IGNY8_WP_STATE="${IGNY8_WP_STATE:-$dir/sites}"
  mkdir -p "$IGNY8_WP_STATE"
  igny8_wp_on_exit "igny8_wp_stop_mariadb '$dir' '$pid' '$IGNY8_WP_STATE'"
  for _ in $(seq 1 300); do
    igny8_wp_sql "SELECT 1" >/dev/null 2>&1 && { echo "MariaDB at $IGNY8_WP_MYSQL_SOCKET" >&2; return; }
    igny8_wp_alive "$pid" || break
    sleep 0.1
  done
  tail -20 "$dir/error.log" >&2
  echo "MariaDB did not start" >&2
  return 1
}

igny8_wp_stop_mariadb() { # DIR PID STATE — the EXIT trap of start_mariadb
  # (`|| true` throughout: under `set -e` a failed kill would end the trap early.)
  local dir="$1" pid="$2" state="$3" pidfile
  # Sites left running by tests would only answer errors without their database.
  for pidfile in "$state"/*.pid; do
    if [ -e "$pidfile" ]; then kill -- -"$(cat "$pidfile")" 2>/dev/null || true; fi
  done
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    igny8_wp_alive "$pid" || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
