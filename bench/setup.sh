#!/usr/bin/env bash
# Creates an org with one queue and one web channel on a running server; prints
# "ORG TOKEN CHANNEL". usage: bench/setup.sh URL ADMIN_TOKEN
set -euo pipefail
url=$1 admin=$2
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
org=$(curl -sf -XPOST -H "content-type: application/json" "$url/v1/orgs" -H "authorization: Bearer $admin" -d '{"name":"bench"}')
id=$(echo "$org" | json '["org"]'); token=$(echo "$org" | json '["token"]')
queue=$(curl -sf -XPOST -H "content-type: application/json" "$url/v1/orgs/$id/queues" -H "authorization: Bearer $token" -d '{"name":"support"}' | json '["id"]')
channel=$(curl -sf -XPOST -H "content-type: application/json" "$url/v1/orgs/$id/channels" -H "authorization: Bearer $token" \
  -d "{\"name\":\"web\",\"kind\":\"web\",\"platform\":\"standard\",\"entry\":{\"queue\":$queue}}" | json '["id"]')
echo "$id $token $channel"
