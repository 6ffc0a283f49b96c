package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerCapacity;
import io.choria.natsoperator.model.BrokerStatefulSet;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;

/**
 * Grows the brokers' existing JetStream claims ({@code data-<name>-<i>}, made by the StatefulSet controller from the claim
 * template) to spec.streams.storage.size, when a larger size has replaced the StatefulSet: a new template reaches new
 * claims only. Expansion is the storage class's to allow ({@code allowVolumeExpansion}); a refusal is reported with the
 * API server's words, never retried behind the user's back. Claims never shrink; a claim not made yet is left to the
 * StatefulSet.
 */
final class VolumeClaims {
    /** What one pass did: the claims grown, and the refusals (each with the API server's words). */
    record Growth(List<String> grown, List<String> refused) {}

    private VolumeClaims() {}

    static Growth grow(KubernetesClient client, NatsCluster nc, Names names) {
        List<String> grown = new ArrayList<>(), refused = new ArrayList<>();
        String size = nc.getSpec().getStreams().getStorage().getSize();
        long wanted = BrokerCapacity.bytes(new Quantity(size));
        for (int i = 0; i < nc.getSpec().getSize(); i++) {
            String name = BrokerStatefulSet.DATA_VOLUME + "-" + names.pod(i);
            try {
                var claims = client.persistentVolumeClaims().inNamespace(names.namespace()).withName(name);
                PersistentVolumeClaim claim = claims.get();
                if (claim == null || claim.getSpec() == null || claim.getSpec().getResources() == null) continue;
                Quantity has = claim.getSpec().getResources().getRequests() == null ? null : claim.getSpec().getResources().getRequests().get("storage");
                if (has != null && BrokerCapacity.bytes(has) >= wanted) continue;
                // An update with the claim's resourceVersion, as every write of the operator (a concurrent change is a 409)
                claim.getSpec().getResources().getRequests().put("storage", new Quantity(size));
                client.resource(claim).update();
                grown.add(name);
            } catch (KubernetesClientException e) {
                String why = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
                refused.add(name + ": " + why);
            }
        }
        return new Growth(grown, refused);
    }
}
