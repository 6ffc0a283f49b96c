package io.choria.natsoperator.brokers;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterReference;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Examples;
import java.util.List;
import java.util.function.Consumer;

/**
 * Two sites of one broker each, a NatsCluster named {@code broker} in each site's namespace, told apart by clusterName
 * and serverNamePrefix, joined by a gateway to the other by natsClusterRef; {@code more} adds to both specs.
 */
record TwoSites(List<String> names, int[] firstHost, Consumer<NatsCluster> more) {
    void configure(NatsCluster nc, int s) {
        nc.getMetadata().setName("broker");
        nc.getMetadata().setNamespace(names.get(s));
        nc.getSpec().setClusterName(names.get(s));
        nc.getSpec().setServerNamePrefix(names.get(s) + "-");
        GatewayRemote r = new GatewayRemote();
        r.setName(names.get(1 - s));
        NatsClusterReference ref = new NatsClusterReference();
        ref.setName("broker");
        ref.setNamespace(names.get(1 - s));
        r.setNatsClusterRef(ref);
        GatewaySpec gw = new GatewaySpec();
        gw.setRemotes(List.of(r));
        nc.getSpec().setGateway(gw);
        more.accept(nc);
    }

    /** Site s's NatsCluster, as the other site's gateway remote names it. */
    NatsCluster site(int s) {
        NatsCluster nc = Examples.load(Examples.ONE_BROKER);
        configure(nc, s);
        return nc;
    }

    /** Site s's broker, rendered on 127.0.0.{firstHost[s]}, resolving the other site's gateway Service to its broker. */
    LocalBrokerCluster.Builder brokers(TestCa ca, int s) {
        return LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca).firstHost(firstHost[s]).edit(nc -> configure(nc, s))
                .host(new Names("broker", names.get(1 - s), LocalBrokerCluster.CLUSTER_DOMAIN).gatewayServiceFqdnOf("broker", names.get(1 - s)),
                        List.of("127.0.0." + firstHost[1 - s]))
                .referenced(site(1 - s));
    }
}
