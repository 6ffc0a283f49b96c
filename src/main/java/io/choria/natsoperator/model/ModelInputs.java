package io.choria.natsoperator.model;

/**
 * What the model needs besides the spec, read from the cluster (or from files by {@code render}).
 * {@code tls} is null when the spec has no TLS; {@code installer} is what the operator's
 * installer chose (never the spec's author).
 */
public record ModelInputs(String clusterDomain, String routePassword, TlsFiles tls, InstallerSettings installer) {
    /** With the installer's defaults. */
    public ModelInputs(String clusterDomain, String routePassword, TlsFiles tls) {
        this(clusterDomain, routePassword, tls, InstallerSettings.DEFAULTS);
    }

    public ModelInputs {
        if (installer == null) installer = InstallerSettings.DEFAULTS;
    }

    @Override
    public String toString() {
        return "ModelInputs[clusterDomain=" + clusterDomain + ", routePassword=redacted, tls=" + (tls != null) + ", installer=" + installer + "]";
    }
}
