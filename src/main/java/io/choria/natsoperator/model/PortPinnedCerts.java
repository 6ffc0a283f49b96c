package io.choria.natsoperator.model;

/**
 * The {@code pinned_certs} of the leafnode and gateway ports (Puppet revocation enforced), each a
 * nats.conf array ({@code ["<hex>", ...]}) or null when that port is not in use. They go into the
 * broker container's environment ({@link NatsConfig#LEAFNODE_PINNED_CERTS_ENV}), not a mounted file:
 * nats-server (2.9.10 and 2.10.x) refuses to reload a changed leafnode or gateway {@code pinned_certs},
 * and that refusal would also hold back the client port's list; a process's environment is fixed at
 * start, and a change of the pod template rolls the brokers.
 */
public record PortPinnedCerts(String leafnodes, String gateway) {
    public static final PortPinnedCerts NONE = new PortPinnedCerts(null, null);
}
