package io.choria.natsoperator.reconciler.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every kind of object a NatsCluster owns, one {@link Dependent} each (the pinned list's ConfigMaps are written apart, see
 * {@link PinnedListDependent}). The order they are written in is the model's, {@code DesiredCluster.inApplyOrder}: kept once.
 */
public final class Dependents {
    public static final List<Dependent<?>> ALL = List.of(
            new CertificateRequestDependent(),
            new ConfigDependent(),
            new RoutesConfigDependent(),
            new TlsSecretDependent(),
            new SystemAccountSecretDependent(),
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
