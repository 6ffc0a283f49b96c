package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;

/**
 * {@code <name>-system-account}: the system account's user and password (spec.streams), for people and their tools; no broker
 * mounts it. Removed when Streams are switched off (the accounts go with them).
 */
public final class SystemAccountSecretDependent extends SecretDependent {
    public SystemAccountSecretDependent() {
        super(DesiredCluster::systemAccount, Names::systemAccountSecret, true);
    }
}
