package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Service;

/** The headless Service: per-broker DNS names for the routes. */
public final class HeadlessServiceDependent extends Dependent<Service> {
    public HeadlessServiceDependent() {
        super(Service.class, DesiredCluster::headless, Names::headlessService, false);
    }
}
