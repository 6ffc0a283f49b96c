package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.Secret;

/** The {@code <name>-tls-request} Secret (Puppet enrolment): the key and CSR while Puppet has not signed; removed once it has. */
public final class CertificateRequestDependent extends Dependent<Secret> {
    public CertificateRequestDependent() {
        super(Secret.class, DesiredCluster::certificateRequest, Names::certificateRequestSecret, true);
    }
}
