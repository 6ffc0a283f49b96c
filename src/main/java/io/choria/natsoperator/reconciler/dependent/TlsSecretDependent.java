package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;

/**
 * The broker certificate Secret, with TLS only. Not removed when TLS is switched off: the
 * brokers may still mount it until they roll.
 */
public final class TlsSecretDependent extends SecretDependent {
    public TlsSecretDependent() {
        super(DesiredCluster::tls, Names::tlsSecret);
    }
}
