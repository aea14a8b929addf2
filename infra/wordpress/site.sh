#!/usr/bin/env bash
# One test WordPress site: its own database (wp_NAME), uploads folder and php -S server,
# sharing the WordPress tree (IGNY8_WP_ROOT, from ensure_wordpress) and the MariaDB server
# (IGNY8_WP_MYSQL_SOCKET, from start_mariadb) of infra/wordpress/lib.sh.
#
#   site.sh start NAME PORT [--rest-disabled] [--plain-permalinks]
#       installs a fresh site at http://127.0.0.1:PORT (PORT 0: a free port) and serves it
#       in the background; prints one line of JSON: url, db, pid, admin_user,
#       admin_password, app_password, contributor_user, contributor_app_password, uploads_dir
#   site.sh stop NAME         stops the server and drops the database and uploads
#   site.sh eval NAME 'PHP'   runs PHP inside the site as its admin; prints what it echoes
#
# NAME: [a-z0-9_], at most 40 characters. Logs: $IGNY8_WP_STATE/NAME.log (server, PHP errors).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

die() { echo "site.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: site.sh start NAME PORT [--rest-disabled] [--plain-permalinks] | stop NAME | eval NAME 'PHP'"
command="$1" name="$2"
shift 2
[[ "$name" =~ ^[a-z0-9_]{1,40}$ ]] || die "NAME must be 1-40 characters of [a-z0-9_]: '$name'"
if [ ! -f "${IGNY8_WP_ROOT:-}/wp-load.php" ]; then
  die "IGNY8_WP_ROOT is not set to a WordPress tree (source infra/wordpress/lib.sh and run ensure_wordpress)"
fi
if [ ! -S "${IGNY8_WP_MYSQL_SOCKET:-}" ]; then
  die "IGNY8_WP_MYSQL_SOCKET is not set to a MariaDB socket (source infra/wordpress/lib.sh and run start_mariadb)"
fi
state="${IGNY8_WP_STATE:-$(igny8_wp_cache)/state}"
mkdir -p "$state"
db="wp_$name"
uploads="$IGNY8_WP_ROOT/wp-content/uploads/$db"
pidfile="$state/$name.pid"
urlfile="$state/$name.url"
log="$state/$name.log"
export IGNY8_WP_DB="$db" IGNY8_WP_ROOT IGNY8_WP_MYSQL_SOCKET

running() { [ -f "$pidfile" ] && igny8_wp_alive "$(cat "$pidfile")"; }

free_port() { # asks the kernel for a free port
  # shellcheck disable=SC2016  # PHP code
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr($n, strrpos($n, ":") + 1);'
}

# serve PORT — starts php -S in its own session (setsid), so that it outlives this script
# and `stop` ends it with its workers through the process group. Sets $pid; fails when the
# server exits instead of listening (port taken).
serve() {
  local port="$1" mark
  mark="$(wc -l <"$log")"
  # PHP_CLI_SERVER_WORKERS: otherwise php -S answers one request at a time.
  # shellcheck disable=SC2094  # PHP appends its errors to the same log
  IGNY8_WP_URL="http://127.0.0.1:$port" IGNY8_WP_ERROR_LOG="$log" \
    PHP_CLI_SERVER_WORKERS="${IGNY8_WP_WORKERS:-4}" \
    IGNY8_WP_REST_DISABLED="$rest_disabled" \
    setsid php -S "127.0.0.1:$port" -t "$IGNY8_WP_ROOT" "$IGNY8_WP_ROOT/router.php" \
    </dev/null >>"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    tail -n +"$((mark + 1))" "$log" | grep -q "Development Server .* started" && return 0
    igny8_wp_alive "$pid" || return 1
    sleep 0.05
  done
  kill -- -"$pid" 2>/dev/null || true
  return 1
}

start() {
  local port="${1:-}" rest_disabled="" permalinks="pretty" auto_port="" installed url
  [[ "$port" =~ ^[0-9]+$ ]] || die "usage: site.sh start NAME PORT [--rest-disabled] [--plain-permalinks]"
  shift
  for option in "$@"; do
    case "$option" in
      --rest-disabled) rest_disabled=1 ;;
      --plain-permalinks) permalinks=plain ;;
      *) die "unknown option $option" ;;
    esac
  done
  running && die "site $name is already running (pid $(cat "$pidfile")); stop it first"
  : >"$log"
  [ "$port" = 0 ] && auto_port=1

  # The server first: a taken port shows at once (PORT 0 then tries another), and it gets
  # ready while WordPress installs.
  for attempt in 1 2 3 4 5; do
    [ -n "$auto_port" ] && port="$(free_port)"
    serve "$port" && break
    if [ -z "$auto_port" ] || [ "$attempt" -eq 5 ]; then
      tail -5 "$log" >&2
      die "php -S could not listen on 127.0.0.1:$port"
    fi
  done
  url="http://127.0.0.1:$port"
  echo "$pid" >"$pidfile"
  echo "$url" >"$urlfile"

  rm -rf "$uploads"
  igny8_wp_sql "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\`" ||
    { stop; die "could not create database $db"; }
  installed="$(IGNY8_WP_URL="$url" php "$here/install-site.php" "IGNY8 test site $name" "$permalinks" 2>>"$log")" ||
    { tail -20 "$log" >&2; stop; die "installing WordPress failed (log: $log)"; }

  # php -S listens already; one real request makes sure WordPress answers.
  curl -sf -o /dev/null --max-time 30 "$url/wp-login.php" ||
    { tail -20 "$log" >&2; stop; die "the site does not answer at $url (log: $log)"; }

  # shellcheck disable=SC2016  # PHP code
  URL="$url" DB="$db" PID="$pid" UPLOADS="$uploads" INSTALLED="$installed" php -r '
    $i = json_decode(getenv("INSTALLED"), true);
    echo json_encode([
      "url" => getenv("URL"), "db" => getenv("DB"), "pid" => (int) getenv("PID"),
      "admin_user" => "admin", "admin_password" => $i["admin_password"],
      "app_password" => $i["app_password"],
      "contributor_user" => "author1", "contributor_app_password" => $i["contributor_app_password"],
      "uploads_dir" => getenv("UPLOADS"),
    ], JSON_UNESCAPED_SLASHES), "\n";'
}

stop() {
  if running; then
    local pid
    pid="$(cat "$pidfile")"
    kill -- -"$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      igny8_wp_alive "$pid" || break
      sleep 0.05
    done
    kill -9 -- -"$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile" "$urlfile"
  igny8_wp_sql "DROP DATABASE IF EXISTS \`$db\`"
  rm -rf "$uploads"
}

eval_php() {
  [ $# -eq 1 ] || die "usage: site.sh eval NAME 'PHP'"
  [ -f "$urlfile" ] || die "site $name is not started"
  # The site's own URL, so that links come out right.
  # shellcheck disable=SC2016  # PHP code
  IGNY8_WP_URL="$(cat "$urlfile")" php -r '
    $_SERVER["HTTP_HOST"] = parse_url(getenv("IGNY8_WP_URL"), PHP_URL_HOST) . ":" . parse_url(getenv("IGNY8_WP_URL"), PHP_URL_PORT);
    $_SERVER["REQUEST_URI"] = "/";
    define("WP_DISABLE_FATAL_ERROR_HANDLER", true); // errors to stderr, not an HTML page
    require getenv("IGNY8_WP_ROOT") . "/wp-load.php";
    wp_set_current_user(1);
    eval($argv[1]);' -- "$1"
}

case "$command" in
  start) start "$@" ;;
  stop) [ $# -eq 0 ] || die "usage: site.sh stop NAME"; stop ;;
  eval) eval_php "$@" ;;
  *) die "unknown command $command (start, stop or eval)" ;;
esac
