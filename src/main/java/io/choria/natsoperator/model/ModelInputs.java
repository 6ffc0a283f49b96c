package io.choria.natsoperator.model;

/**
 * What the model needs besides the spec, read from the cluster (or from files by {@code render}).
 * {@code tls} is null when the spec has no TLS.
 */
public record ModelInputs(String clusterDomain, String routePassword, TlsFiles tls) {
    @Override
    public String toString() {
        return "ModelInputs[clusterDomain=" + clusterDomain + ", routePassword=redacted, tls=" + (tls != null) + "]";
    }
}
