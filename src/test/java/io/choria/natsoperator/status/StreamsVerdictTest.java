package io.choria.natsoperator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.StreamsSpec;
import io.choria.natsoperator.jetstream.StreamKeeper;
import io.choria.natsoperator.jetstream.StreamKeeper.StreamState;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.model.ChoriaStreams;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.testing.Examples;
import java.util.List;
import org.junit.jupiter.api.Test;

/** StreamsReady's words, with streams another site keeps across the gateways. */
class StreamsVerdictTest {
    static NatsCluster withStreams(boolean gateway) {
        NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
        nc.getSpec().setStreams(new StreamsSpec());
        if (gateway) nc.getSpec().setGateway(new GatewaySpec());
        return SpecDefaults.withDefaults(nc);
    }

    static StreamsVerdict verdict(NatsCluster nc, List<StreamState> streams) {
        return StreamsVerdict.of(nc, new MeshObservation(true, Reason.FullMesh, "meshed").withStreams(new StreamKeeper.Report(streams, List.of(), null)));
    }

    @Test
    void streamsAnotherSiteKeepsAreNamedWithTheSiteAndWhereTheirSettingsDiffer() {
        NatsCluster nc = withStreams(true);
        var v = verdict(nc, List.of(
                new StreamState("CHORIA_EVENTS", 1, 1, "a-broker-0", 5, 100, "site-a", true),
                new StreamState("CHORIA_MACHINE", 1, 1, "a-broker-0", 0, 0, "site-a", false),
                new StreamState("KV_CHORIA_LEADER_ELECTION", 3, 3, "broker-1", 0, 0)));
        assertEquals(Reason.StreamsReady, v.reason());
        assertEquals("3 streams with all replicas current (CHORIA_EVENTS, CHORIA_MACHINE kept by site site-a;"
                + " settings there differ from this spec.streams: CHORIA_EVENTS)", v.message());

        var behind = verdict(nc, List.of(new StreamState("CHORIA_EVENTS", 3, 1, "", 5, 100, "site-a", false)));
        assertEquals(Reason.StreamReplicasBehind, behind.reason());
        assertEquals("CHORIA_EVENTS 1/3 replicas current, no leader (kept by site site-a)", behind.message());
    }

    @Test
    void withAGatewayEachStreamIsPlacedInThisCluster() {
        NatsCluster nc = withStreams(true);
        Names names = Names.of(nc, Names.DEFAULT_CLUSTER_DOMAIN);
        for (var s : ChoriaStreams.wanted(names, nc.getSpec())) {
            assertEquals(nc.getMetadata().getName(), s.path("placement").path("cluster").asText(), s.toString());
        }
        NatsCluster alone = withStreams(false);
        for (var s : ChoriaStreams.wanted(names, alone.getSpec())) assertEquals(false, s.has("placement"), "no placement without a gateway");
    }
}
