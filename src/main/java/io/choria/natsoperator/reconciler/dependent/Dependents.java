package io.choria.natsoperator.reconciler.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Every object a NatsCluster owns, in apply order: what a broker mounts before the StatefulSet. */
public final class Dependents {
    public static final List<Dependent<?>> ALL = List.of(
            new CertificateRequestDependent(),
            new ConfigDependent(),
            new RoutesConfigDependent(),
            new TlsSecretDependent(),
            new HeadlessServiceDependent(),
            new ClientServiceDependent(),
            new PuppetAliasDependent(),
            new GatewayServiceDependent(),
            new LeafNodesServiceDependent(),
            new DisruptionBudgetDependent(),
            new NetworkPolicyDependent(),
            new StatefulSetDependent());

    private Dependents() {}

    /** The kinds the operator owns, one informer each. */
    public static Set<Class<? extends HasMetadata>> kinds() {
        Set<Class<? extends HasMetadata>> kinds = new LinkedHashSet<>();
        ALL.forEach(d -> kinds.add(d.type()));
        return kinds;
    }
}
