package io.choria.natsoperator.reconciler.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.Objects;

/** A Secret the brokers mount: its data is compared too, so a hand edit is put back. */
abstract class SecretDependent extends Dependent<Secret> {
    SecretDependent() {
        super(Secret.class, false);
    }

    @Override
    protected boolean sameContent(Secret desired, Secret actual) {
        return Objects.equals(desired.getData(), actual.getData());
    }
}
