package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;

/** {@code routes.conf}: the route URLs carry the password, so it is a Secret. */
public final class RoutesConfigDependent extends SecretDependent {
    public RoutesConfigDependent() {
        super(DesiredCluster::routesConfig, Names::routesConfigSecret);
    }
}
