package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Service;

/** The optional {@code puppet} Service (Choria's default broker is puppet:4222); removed when switched off. */
public final class PuppetAliasDependent extends Dependent<Service> {
    public PuppetAliasDependent() {
        super(Service.class, DesiredCluster::puppetAlias, Names::puppetAliasService, true);
    }
}
