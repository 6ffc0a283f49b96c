package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Service;

/** The gateway Service {@code <name>-gateway} (spec.gateway); removed when the gateway is switched off. */
public final class GatewayServiceDependent extends Dependent<Service> {
    public GatewayServiceDependent() {
        super(Service.class, DesiredCluster::gateway, Names::gatewayService, true);
    }
}
