package io.choria.natsoperator.model;

/**
 * The {@code pinned_certs} files of the leafnode and gateway ports (Puppet revocation enforced), as
 * rendered; each null when that port is not in use. They sit beside nats.conf in the config
 * ConfigMap, and nats-server reads them only at start (2.9.10 and 2.10.x refuse a changed leafnode or
 * gateway {@code pinned_certs} on reload), so their content is part of the restart-only settings.
 */
public record PortPinnedCerts(String leafnodes, String gateway) {
    public static final PortPinnedCerts NONE = new PortPinnedCerts(null, null);
}
