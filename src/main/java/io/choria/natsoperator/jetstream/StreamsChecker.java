package io.choria.natsoperator.jetstream;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.ChoriaStreams;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.PemSslContexts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;

/**
 * One look at a cluster's Choria Streams (spec.streams), and the keeping of its streams ({@link StreamKeeper}): through
 * the first broker that answers on its client port, by its stable DNS name (translated by {@code resolve} where the JVM
 * cannot resolve the cluster's names), as the broker itself: its certificate and key ({@code identity}, from the TLS
 * Secret the operator writes), which the brokers trust as they trust each other's routes. Called beside the reconcile.
 */
public final class StreamsChecker {
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    private final String clusterDomain;
    private final UnaryOperator<String> resolve;
    private final Function<NatsCluster, BrokerAccess> identity;

    public StreamsChecker(String clusterDomain, UnaryOperator<String> resolve, Function<NatsCluster, BrokerAccess> identity) {
        this.clusterDomain = clusterDomain;
        this.resolve = resolve;
        this.identity = identity;
    }

    /** A server name of this cluster's broker at an ordinal at or past the size: gone with a scale-down. */
    static java.util.function.Predicate<String> departed(NatsCluster nc, Names names) {
        String prefix = (nc.getSpec().getServerNamePrefix() == null ? "" : nc.getSpec().getServerNamePrefix()) + names.statefulSet() + "-";
        int size = nc.getSpec().getSize();
        return name -> {
            if (!name.startsWith(prefix)) return false;
            String ordinal = name.substring(prefix.length());
            return ordinal.matches("[0-9]{1,4}") && Integer.parseInt(ordinal) >= size;
        };
    }

    /** {@code nc} is the defaulted spec with spec.streams. */
    public StreamKeeper.Report check(NatsCluster nc) {
        Names names = Names.of(nc, clusterDomain);
        SSLContext tls = null;
        BrokerAccess access = identity.apply(nc);
        if (nc.getSpec().getTls() != null) {
            TlsFiles files = access == null ? null : access.tls();
            if (files == null) return StreamKeeper.Report.failed("the broker certificate is not there yet");
            try {
                tls = PemSslContexts.clientContext(files.certificateChainPem(), files.privateKeyPem(), files.caBundlePem());
            } catch (GeneralSecurityException e) {
                return StreamKeeper.Report.failed("the broker certificate cannot be used: " + e.getMessage());
            }
        }
        // spec.authorization: a certificate is only ever a node's user; the operator is then its own nkey users.
        boolean authorized = io.choria.natsoperator.model.ChoriaPermissions.enabled(nc.getSpec());
        java.util.List<String> refused = new java.util.ArrayList<>();
        for (int i = 0; i < nc.getSpec().getSize(); i++) {
            String host = names.podFqdn(i);
            InetSocketAddress address;
            NatsRequests c;
            try {
                address = new InetSocketAddress(resolve.apply(host), nc.getSpec().getPorts().getClient());
                if (!authorized) c = NatsRequests.connect(address, host, tls, null, null, TIMEOUT);
                else if (access != null && access.operatorNKey() != null) c = NatsRequests.connect(address, host, tls, access.operatorNKey(), TIMEOUT);
                else return StreamKeeper.Report.failed("the operator's nkey (spec.authorization) is not in the system account Secret yet");
            } catch (IOException | RuntimeException e) {
                refused.add(names.pod(i) + ": " + e.getMessage());
                continue; // the next broker
            }
            StreamKeeper.Report report;
            try (c) {
                report = StreamKeeper.keep(c, ChoriaStreams.wanted(names, nc.getSpec()), TIMEOUT);
            } catch (IOException | RuntimeException e) {
                return StreamKeeper.Report.failed("through " + names.pod(i) + ": " + e.getMessage());
            }
            if (report.error() != null || access == null || (authorized ? access.systemNKey() : access.systemPassword()) == null) return report;
            try (NatsRequests system = authorized ? NatsRequests.connect(address, host, tls, access.systemNKey(), TIMEOUT)
                    : NatsRequests.connect(address, host, tls, io.choria.natsoperator.model.ChoriaAccounts.SYSTEM_USER, access.systemPassword(), TIMEOUT)) {
                return report.with(MetaPeers.removeDeparted(system, departed(nc, names), TIMEOUT));
            } catch (IOException | RuntimeException e) {
                return report.with(List.of("could not look for departed peers through " + names.pod(i) + ": " + e.getMessage()));
            }
        }
        return StreamKeeper.Report.failed("no broker took the connection: " + String.join("; ", refused));
    }
}
