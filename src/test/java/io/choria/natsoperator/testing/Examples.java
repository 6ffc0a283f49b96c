package io.choria.natsoperator.testing;

import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads the NatsClusters under examples/, the same files the README uses. */
public final class Examples {
    public static final Path THREE_BROKERS = Path.of("examples/natscluster-3.yaml");
    public static final Path ONE_BROKER = Path.of("examples/natscluster-1.yaml");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Examples() {}

    public static NatsCluster load(Path file) {
        try {
            NatsCluster nc = SERIALIZATION.unmarshal(Files.readString(file), NatsCluster.class);
            if (nc.getMetadata().getUid() == null) nc.getMetadata().setUid("uid-" + nc.getMetadata().getName());
            nc.getMetadata().setGeneration(1L);
            return nc;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
