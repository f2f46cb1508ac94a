#!/usr/bin/env bash
# One database and one role per Guichet service, run once by the postgres image on an empty data volume
# (mounted at /docker-entrypoint-initdb.d/). Least privilege, as the local launcher does it
# (deploy/src/guichet_deploy/postgres.py):
#   - role guichet_<service>: LOGIN only, no superuser, cannot create roles or databases;
#   - database guichet_<service> owned by that role (PostgreSQL 15: its public schema belongs to the owner,
#     through the implicit pg_database_owner role: so no NOINHERIT, or the role could not create its tables);
#   - CONNECT revoked from PUBLIC, so no service role can open another service's database (nor `postgres`).
# Passwords come from the environment (compose reads them from the operator's env file), never from this file;
# psql's :'var' quoting keeps them out of the SQL text's syntax whatever characters they hold.
set -euo pipefail

for service in intake eligibility payments notifications gateway backoffice; do
    variable="${service^^}_DB_PASSWORD"
    password="${!variable:-}"
    if [ -z "$password" ]; then
        echo "postgres-init: $variable is not set" >&2
        exit 1
    fi
    name="guichet_${service}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
    echo "postgres-init: database and role $name created"
done

# The maintenance database is not theirs either: only the superuser connects to it.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c 'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;'
