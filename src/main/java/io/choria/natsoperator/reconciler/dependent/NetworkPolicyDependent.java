package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

/** The optional NetworkPolicy ({@code spec.networkPolicy.enabled}); removed when switched off. */
public final class NetworkPolicyDependent extends Dependent<NetworkPolicy> {
    public NetworkPolicyDependent() {
        super(NetworkPolicy.class, DesiredCluster::networkPolicy, Names::networkPolicy, true);
    }
}
