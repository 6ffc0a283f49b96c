package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Secret;

/**
 * The broker certificate Secret, with TLS only. Not removed when TLS is switched off: the
 * brokers may still mount it until they roll.
 */
public final class TlsSecretDependent extends SecretDependent {
    @Override
    public Secret desired(DesiredCluster cluster) {
        return cluster.tls();
    }

    @Override
    public String name(Names names) {
        return names.tlsSecret();
    }
}
