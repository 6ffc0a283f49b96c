#!/usr/bin/env bash
# Makes a throwaway CA the way Puppet keeps its own (RSA key in PKCS#1, files ca_crt.pem and
# ca_key.pem) and writes it as the Secret the examples name, for trying `render` offline.
# Never use it for real brokers: put your Puppet CA in the Secret instead (see README).
set -euo pipefail
out=${1:-target/example-ca}
mkdir -p "$out"
openssl genrsa -traditional -out "$out/ca_key.pem" 2048 2>/dev/null
openssl req -x509 -new -key "$out/ca_key.pem" -days 3650 -subj "/CN=Puppet CA: example.test" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca_crt.pem"
{
  echo "apiVersion: v1"
  echo "kind: Secret"
  echo "metadata: {name: puppet-ca, namespace: choria}"
  echo "data:"
  echo "  ca_crt.pem: $(base64 -w0 "$out/ca_crt.pem")"
  echo "  ca_key.pem: $(base64 -w0 "$out/ca_key.pem")"
} > "$out/puppet-ca-secret.yaml"
echo "$out/puppet-ca-secret.yaml"
