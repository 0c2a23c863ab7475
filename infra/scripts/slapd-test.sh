#!/usr/bin/env bash
# Starts or stops a throw-away OpenLDAP slapd for the directory suite, on 127.0.0.1 only.
#   slapd-test.sh start DIR PORT   -> suffix dc=gwangmyeong,dc=test, manager cn=admin (password in DIR/admin.password)
#   slapd-test.sh stop DIR
# The test tree itself (departments, users, groups) is loaded by the tests over LDAP.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data folder}
case "$cmd" in
  start)
    port=${3:?port}
    command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] || { echo "slapd is not installed: run infra/scripts/provision.sh test" >&2; exit 1; }
    rm -rf "$dir"; mkdir -p "$dir/db"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    echo "$password" >"$dir/admin.password"
    cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $dir/slapd.pid
database mdb
maxsize 104857600
suffix "dc=gwangmyeong,dc=test"
rootdn "cn=admin,dc=gwangmyeong,dc=test"
rootpw $password
directory $dir/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
CONF
    /usr/sbin/slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" >"$dir/slapd.log" 2>&1 \
      || { cat "$dir/slapd.log" >&2; exit 1; }
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0; sleep 0.1; done
    echo "slapd did not listen on $port" >&2; exit 1
    ;;
  stop)
    if [ -f "$dir/slapd.pid" ]; then kill "$(cat "$dir/slapd.pid")" 2>/dev/null || true; sleep 0.5; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
