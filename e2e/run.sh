#!/usr/bin/env bash
# End-to-end suite for a real Kubernetes cluster (KUBECONFIG). Not run by CI: there is no
# cluster on the build machines; the same behaviour is covered there by the mock API server
# and by real nats-server processes. Needs kubectl, helm, openssl, and the operator image
# pushed somewhere the cluster can pull it from:
#
#   IMAGE=registry.example/choria/nats-operator:0.1.0 e2e/run.sh
#
# It installs the CRD and the operator (Helm), a throwaway Puppet-style CA, the 3-broker
# example, then checks: Ready and RoutesMeshed; scaling 3 -> 5 -> 3 restarts none of the
# brokers that stay; the CRD refuses an invalid spec at admission; a bad CA is reported and
# changes nothing. It deletes its namespaces at the end (KEEP=1 keeps them).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${IMAGE:?set IMAGE to the operator image the cluster can pull}"
NS=${NS:-e2e-choria}
OPNS=${OPNS:-e2e-nats-operator}
TIMEOUT=${TIMEOUT:-10m}

say() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null || true
    helm uninstall nats-operator -n "$OPNS" >/dev/null 2>&1 || true
    kubectl delete namespace "$OPNS" --ignore-not-found --wait=false >/dev/null || true
  fi
}
trap cleanup EXIT

cond() { kubectl -n "$NS" get natscluster broker -o jsonpath="{.status.conditions[?(@.type==\"$1\")].$2}"; }
wait_cond() { # type status
  kubectl -n "$NS" wait natscluster/broker --for=condition="$1"="$2" --timeout="$TIMEOUT" >/dev/null \
    || fail "$1 did not become $2: $(cond "$1" reason) $(cond "$1" message)"
}
pods() { kubectl -n "$NS" get pods -l app.kubernetes.io/instance=broker \
  -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid}/{.status.containerStatuses[?(@.name=="nats")].restartCount}{"\n"}{end}' | sort; }
remotes() { kubectl -n "$NS" exec "$1" -c nats -- wget -qO- http://127.0.0.1:8222/varz | sed -n 's/.*"remotes": *\([0-9]*\).*/\1/p'; }

say "install the CRD and the operator"
kubectl apply -f crds/
helm upgrade --install nats-operator ./helm/nats-operator -n "$OPNS" --create-namespace \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --wait --timeout "$TIMEOUT"

say "a throwaway CA and the 3-broker example in $NS"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
ca=$(mktemp -d)
examples/make-test-ca.sh "$ca" >/dev/null
sed "s/namespace: choria/namespace: $NS/" "$ca/puppet-ca-secret.yaml" | kubectl apply -f -
sed "s/namespace: choria/namespace: $NS/" examples/natscluster-3.yaml | kubectl apply -f -
wait_cond Ready True
wait_cond RoutesMeshed True
kubectl -n "$NS" get natscluster broker
for i in 0 1 2; do [ "$(remotes broker-$i)" = 2 ] || fail "broker-$i does not see 2 peers"; done

say "scale 3 -> 5 -> 3: the brokers that stay are not restarted"
before=$(pods)
kubectl -n "$NS" patch natscluster broker --type merge -p '{"spec":{"size":5}}'
kubectl -n "$NS" wait natscluster/broker --for=jsonpath='{.status.readyReplicas}'=5 --timeout="$TIMEOUT"
wait_cond Ready True
wait_cond RoutesMeshed True
for i in 0 1 2 3 4; do [ "$(remotes broker-$i)" = 4 ] || fail "broker-$i does not see 4 peers"; done
kubectl -n "$NS" patch natscluster broker --type merge -p '{"spec":{"size":3}}'
kubectl -n "$NS" wait natscluster/broker --for=jsonpath='{.status.readyReplicas}'=3 --timeout="$TIMEOUT"
kubectl -n "$NS" wait --for=delete pod/broker-3 pod/broker-4 --timeout="$TIMEOUT" || true
wait_cond RoutesMeshed True
after=$(pods)
[ "$before" = "$after" ] || fail "brokers were restarted: before=[$before] after=[$after]"

say "the CRD refuses an invalid spec at admission"
if kubectl -n "$NS" patch natscluster broker --type merge -p '{"spec":{"size":0}}' 2>/dev/null; then fail "size 0 was admitted"; fi
if kubectl -n "$NS" patch natscluster broker --type merge -p '{"spec":{"ports":{"monitor":4222}}}' 2>/dev/null; then
  fail "clashing ports were admitted"; fi

say "a bad CA is reported and changes nothing"
sts_version=$(kubectl -n "$NS" get statefulset broker -o jsonpath='{.metadata.resourceVersion}')
tls_version=$(kubectl -n "$NS" get secret broker-tls -o jsonpath='{.metadata.resourceVersion}')
kubectl -n "$NS" create secret generic puppet-ca --from-literal=ca.crt=garbage --from-literal=ca.key=garbage \
  --dry-run=client -o yaml | kubectl apply -f -
wait_cond CertificateReady False
[ "$(cond CertificateReady reason)" = CaCertificateInvalid ] || fail "reason: $(cond CertificateReady reason)"
kubectl -n "$NS" get events --field-selector reason=CaCertificateInvalid | grep -q Warning || fail "no Warning event"
[ "$(kubectl -n "$NS" get statefulset broker -o jsonpath='{.metadata.resourceVersion}')" = "$sts_version" ] || fail "StatefulSet changed"
[ "$(kubectl -n "$NS" get secret broker-tls -o jsonpath='{.metadata.resourceVersion}')" = "$tls_version" ] || fail "certificate changed"

say "all checks passed"
