package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Objects;
import java.util.function.Function;

/** A Secret the brokers mount: its data is compared too, so a hand edit is put back. */
abstract class SecretDependent extends Dependent<Secret> {
    SecretDependent(Function<DesiredCluster, Secret> desired, Function<Names, String> name) {
        this(desired, name, false);
    }

    SecretDependent(Function<DesiredCluster, Secret> desired, Function<Names, String> name, boolean removable) {
        super(Secret.class, desired, name, removable);
    }

    @Override
    protected boolean sameContent(Secret desired, Secret actual) {
        return Objects.equals(desired.getData(), actual.getData());
    }
}
