#!/usr/bin/env bash
# One-shot (docker compose service `es-setup`): create the Elasticsearch roles and users the
# services connect as, so no service holds the `elastic` superuser. Idempotent: PUT replaces.
#   sohoa_web     the web app: read and write documents of <prefix>-* (records, audit, users)
#   sohoa_worker  Celery workers: read and write documents of <prefix>-*
#   sohoa_admin   `sohoa init|ingest|agencies|users|backup|restore|verify`: every index
#                 privilege on <prefix>-*, and snapshots in the `<prefix>-backups` repository
# None of them may touch another prefix's indices, security settings or the cluster's settings.
set -euo pipefail
: "${ELASTIC_PASSWORD:?}" "${ES_WEB_PASSWORD:?}" "${ES_WORKER_PASSWORD:?}" "${ES_ADMIN_PASSWORD:?}"
PREFIX="${SOHOA_INDEX_PREFIX:-sohoa}"
ES="${ES_URL:-https://elasticsearch:9200}"
CA="${ES_CA:-config/certs/ca/ca.crt}"

put() {  # put PATH JSON
  curl -fsS --cacert "$CA" -u "elastic:${ELASTIC_PASSWORD}" -X PUT "$ES$1" \
    -H 'Content-Type: application/json' -d "$2" >/dev/null
  echo "PUT $1"
}

documents='["read", "write", "view_index_metadata"]'
put /_security/role/sohoa_web "{\"cluster\": [\"monitor\"], \"indices\": [
  {\"names\": [\"${PREFIX}-*\"], \"privileges\": ${documents}}]}"
put /_security/role/sohoa_worker "{\"cluster\": [\"monitor\"], \"indices\": [
  {\"names\": [\"${PREFIX}-*\"], \"privileges\": ${documents}}]}"
# Snapshot actions are granted by name: `manage` would also open cluster settings and
# every other repository. Restoring needs the index privileges on what it restores (here all).
put /_security/role/sohoa_admin "{\"cluster\": [\"monitor\", \"create_snapshot\",
  \"cluster:admin/repository/put\", \"cluster:admin/repository/get\",
  \"cluster:admin/repository/verify\", \"cluster:admin/snapshot/*\"],
  \"indices\": [{\"names\": [\"${PREFIX}-*\"], \"privileges\": [\"all\"]}]}"

for service in web worker admin; do
  var="ES_$(echo "$service" | tr a-z A-Z)_PASSWORD"
  put "/_security/user/sohoa_${service}" \
    "{\"password\": \"${!var}\", \"roles\": [\"sohoa_${service}\"]}"
done
