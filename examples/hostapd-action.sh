#!/usr/bin/env bash
# hostapd action script: tells pmip-exporter's association API which client joined or left this
# access point. hostapd_cli runs it on every event:
#
#   hostapd_cli -i wlan0 -a /usr/local/lib/pmip/hostapd-action.sh -B
#
# and calls it as:  hostapd-action.sh IFACE EVENT MAC [more...]
#   AP-STA-CONNECTED    -> POST   /api/v1/associations {mac, address, ssid, accessPoint}
#   AP-STA-DISCONNECTED -> DELETE /api/v1/associations/MAC?accessPoint=ID
# Other events are ignored. See docs/associations.md.
#
# Settings (environment, or a file named by PMIP_ENV_FILE, default /etc/default/pmip-hostapd):
#   PMIP_API           base URL of the association API        (default http://127.0.0.1:9435)
#   PMIP_TOKEN_FILE    file holding the bearer token          (default /etc/pmip-exporter/associations.token)
#   PMIP_ACCESS_POINT  the access point id in the site config (default: the short host name)
#   PMIP_SSID          the SSID of IFACE                      (default: asked from hostapd_cli get_config)
#   PMIP_CLIENTS_FILE  optional "MAC ADDRESS" lines: clients with a known (static) address
#   PMIP_ARP_WAIT      seconds to wait for the client's first ARP when its address is not known
#                      (needs tcpdump; default 10)
#   PMIP_FOREGROUND    1: do the work before returning (default: in the background, so that
#                      hostapd_cli is not held up while the client's address is found)
#
# The token goes to curl on its standard input (curl -K -), never on a command line that `ps`
# would show, and is never printed.
set -uo pipefail

IFACE=${1:-}
EVENT=${2:-}
MAC=${3:-}

ENV_FILE=${PMIP_ENV_FILE:-/etc/default/pmip-hostapd}
# shellcheck source=/dev/null
[ -r "$ENV_FILE" ] && . "$ENV_FILE"

API=${PMIP_API:-http://127.0.0.1:9435}
TOKEN_FILE=${PMIP_TOKEN_FILE:-/etc/pmip-exporter/associations.token}
ACCESS_POINT=${PMIP_ACCESS_POINT:-$(hostname -s)}
ARP_WAIT=${PMIP_ARP_WAIT:-10}

# To syslog (where hostapd_cli's output goes unseen otherwise) and to standard error.
log() {
  logger -t pmip-hostapd -- "$*" 2>/dev/null
  echo "pmip-hostapd: $*" >&2
}

mac_ok() { [[ $1 =~ ^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$ ]]; }

# The client's IPv4 address: a static list first, then the neighbour table, then its first ARP.
client_address() {
  local mac=${1,,} addr=''
  if [ -n "${PMIP_CLIENTS_FILE:-}" ] && [ -r "$PMIP_CLIENTS_FILE" ]; then
    addr=$(awk -v m="$mac" 'tolower($1) == m { print $2; exit }' "$PMIP_CLIENTS_FILE")
  fi
  if [ -z "$addr" ] && command -v ip >/dev/null; then
    addr=$(ip -4 neigh show | awk -v m="$mac" 'tolower($5) == m { print $1; exit }')
  fi
  if [ -z "$addr" ] && command -v tcpdump >/dev/null; then
    # "ARP, Request who-has 10.1.0.1 tell 10.2.0.57" or "ARP, Reply 10.2.0.57 is-at ...": the sender.
    addr=$(timeout "$ARP_WAIT" tcpdump -l -n -q -c 1 -i "$IFACE" "arp and ether src $mac" 2>/dev/null |
      sed -n -e 's/.* tell \([0-9.]*\).*/\1/p' -e 's/.*Reply \([0-9.]*\) is-at.*/\1/p' | head -n 1)
  fi
  printf '%s' "$addr"
}

interface_ssid() {
  if [ -n "${PMIP_SSID:-}" ]; then
    printf '%s' "$PMIP_SSID"
  else
    hostapd_cli -i "$IFACE" get_config 2>/dev/null | sed -n 's/^ssid=//p' | head -n 1
  fi
}

# curl with the token read from its standard input; prints the HTTP status (000: no answer) and
# copies the answer's body to standard error.
api() {
  local method=$1 path=$2 body=${3:-} token
  if ! token=$(tr -d '\r\n' <"$TOKEN_FILE" 2>/dev/null) || [ -z "$token" ]; then
    log "cannot read the token file $TOKEN_FILE"
    return 1
  fi
  local args=(--silent --show-error --max-time 5 -K - -X "$method" -w '\n%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  token=${token//\\/\\\\}
  token=${token//\"/\\\"}
  local out
  out=$(printf 'header = "Authorization: Bearer %s"\n' "$token" | curl "${args[@]}" "$API$path")
  [ -n "${out%$'\n'*}" ] && printf '%s\n' "${out%$'\n'*}" >&2
  printf '%s' "${out##*$'\n'}"
}

urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

json_string() {
  # A JSON string literal (SSIDs may hold quotes or backslashes).
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

connected() {
  local address ssid status
  address=$(client_address "$MAC")
  if [ -z "$address" ]; then
    log "$MAC on $IFACE: no IPv4 address found within ${ARP_WAIT}s; not reported"
    return 1
  fi
  ssid=$(interface_ssid)
  if [ -z "$ssid" ]; then
    log "$MAC on $IFACE: SSID unknown (set PMIP_SSID); not reported"
    return 1
  fi
  status=$(api POST /api/v1/associations \
    "{\"mac\":\"${MAC,,}\",\"address\":\"$address\",\"ssid\":$(json_string "$ssid"),\"accessPoint\":$(json_string "$ACCESS_POINT")}")
  log "$MAC ($address) associated with $ACCESS_POINT on $ssid: HTTP $status"
  [[ $status == 20[01] ]]
}

disconnected() {
  local status
  # ?accessPoint: a late "left" from here must not end the client's association on another
  # access point it has already roamed to.
  status=$(api DELETE "/api/v1/associations/${MAC,,}?accessPoint=$(urlencode "$ACCESS_POINT")")
  log "$MAC left $ACCESS_POINT: HTTP $status"
  # 404: the engine did not know the client (never reported, or already moved): nothing to undo.
  [[ $status == 200 || $status == 404 ]]
}

mac_ok "$MAC" || exit 0
case $EVENT in
  AP-STA-CONNECTED) work=connected ;;
  AP-STA-DISCONNECTED) work=disconnected ;;
  *) exit 0 ;;
esac

if [ "${PMIP_FOREGROUND:-0}" = 1 ]; then
  "$work"
else
  "$work" </dev/null >/dev/null 2>&1 &
  disown
fi
