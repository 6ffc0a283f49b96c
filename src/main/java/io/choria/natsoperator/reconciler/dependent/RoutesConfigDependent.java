package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Secret;

/** {@code routes.conf}: the route URLs carry the password, so it is a Secret. */
public final class RoutesConfigDependent extends SecretDependent {
    @Override
    public Secret desired(DesiredCluster cluster) {
        return cluster.routesConfig();
    }

    @Override
    public String name(Names names) {
        return names.routesConfigSecret();
    }
}
