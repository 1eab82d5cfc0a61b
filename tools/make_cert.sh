#!/usr/bin/env bash
# Makes a self-signed certificate and key for trying TCPChat's TLS port: clients cannot
# verify it (`openssl s_client` says "self-signed certificate" and carries on), so for a
# real deployment use a certificate from a CA.
#
#   tools/make_cert.sh [DIR] [NAME]    # DIR/cert.pem and DIR/key.pem, for NAME
#
# DIR defaults to the current directory, NAME to localhost. Each file is written aside
# and renamed into place, so a server reloading on SIGHUP never reads half of one (it
# may see a new certificate with the old key; that reload is refused and the next works).
set -euo pipefail

dir=${1:-.}
name=${2:-localhost}
mkdir -p "$dir"
# P-256: as strong as RSA-3072 for a fraction of the handshake CPU (a TLS port's cost
# per connection is mostly the server's signature).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 365 \
  -subj "/CN=$name" -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1,IP:::1" \
  -keyout "$dir/key.pem.new" -out "$dir/cert.pem.new" 2>/dev/null
chmod 600 "$dir/key.pem.new"
mv -f "$dir/key.pem.new" "$dir/key.pem"
mv -f "$dir/cert.pem.new" "$dir/cert.pem"
echo "wrote $dir/cert.pem and $dir/key.pem (self-signed, CN=$name, 365 days)"
