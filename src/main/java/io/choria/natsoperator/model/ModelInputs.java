package io.choria.natsoperator.model;

import java.util.Map;

/**
 * What the model needs besides the spec, read from the cluster (or from files by {@code render}).
 * {@code tls} is null when the spec has no TLS; {@code installer} is what the operator's
 * installer chose (never the spec's author). With Puppet enrolment, {@code pinnedList} is the
 * client port's allow-list (null: no revocation enforcement) and {@code certificateRequest} the
 * pending key and CSR while Puppet has not signed them (null: none pending), and {@code portPinnedCerts}
 * the leafnode and gateway ports' allow-lists ({@link PortPinnedCerts#NONE} when revocation is not enforced).
 */
public record ModelInputs(String clusterDomain, String routePassword, TlsFiles tls, InstallerSettings installer, PinnedList pinnedList,
        Map<String, String> certificateRequest, PortPinnedCerts portPinnedCerts) {
    /** With the installer's defaults. */
    public ModelInputs(String clusterDomain, String routePassword, TlsFiles tls) {
        this(clusterDomain, routePassword, tls, InstallerSettings.DEFAULTS);
    }

    public ModelInputs(String clusterDomain, String routePassword, TlsFiles tls, InstallerSettings installer) {
        this(clusterDomain, routePassword, tls, installer, null, null);
    }

    public ModelInputs(String clusterDomain, String routePassword, TlsFiles tls, InstallerSettings installer, PinnedList pinnedList,
            Map<String, String> certificateRequest) {
        this(clusterDomain, routePassword, tls, installer, pinnedList, certificateRequest, PortPinnedCerts.NONE);
    }

    public ModelInputs {
        if (installer == null) installer = InstallerSettings.DEFAULTS;
        if (portPinnedCerts == null) portPinnedCerts = PortPinnedCerts.NONE;
    }

    @Override
    public String toString() {
        return "ModelInputs[clusterDomain=" + clusterDomain + ", routePassword=redacted, tls=" + (tls != null) + ", installer=" + installer
                + ", pinnedList=" + (pinnedList == null ? "none" : pinnedList.keys().size() + " keys") + ", certificateRequest=" + (certificateRequest != null)
                + ", portPinnedCerts=" + portPinnedCerts + "]";
    }
}
