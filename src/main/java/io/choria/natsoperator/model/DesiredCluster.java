package io.choria.natsoperator.model;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.List;

/** Every object the operator keeps in line with one NatsCluster. {@code tls}, {@code puppetAlias}, {@code networkPolicy} and {@code certificateRequest} (Puppet enrolment, while a CSR waits) {@code gateway} (spec.gateway) and {@code leafNodes} (spec.leafnodes accepting) are optional (null). {@code pinnedList}: the client port's allow-list (Puppet revocation enforced; else empty), its parts then its manifest. {@code systemAccount}: the system account's user and password (spec.streams; else null). */
public record DesiredCluster(ConfigMap config, Secret routesConfig, Secret tls, Service headless, Service client,
        Service puppetAlias, PodDisruptionBudget disruptionBudget, NetworkPolicy networkPolicy, StatefulSet statefulSet,
        Secret certificateRequest, Service gateway, Service leafNodes, List<ConfigMap> pinnedList, Secret systemAccount) {

    /** What a broker mounts comes before the StatefulSet, so new pods find their files. */
    public List<HasMetadata> inApplyOrder() {
        List<HasMetadata> all = new ArrayList<>();
        if (certificateRequest != null) all.add(certificateRequest);
        all.addAll(pinnedList);
        all.addAll(List.of(config, routesConfig));
        if (tls != null) all.add(tls);
        if (systemAccount != null) all.add(systemAccount);
        all.addAll(List.of(headless, client));
        if (puppetAlias != null) all.add(puppetAlias);
        if (gateway != null) all.add(gateway);
        if (leafNodes != null) all.add(leafNodes);
        all.add(disruptionBudget);
        if (networkPolicy != null) all.add(networkPolicy);
        all.add(statefulSet);
        return all;
    }
}
