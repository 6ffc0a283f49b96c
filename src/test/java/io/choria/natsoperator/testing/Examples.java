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

    /** One throwaway EC CA for every test that needs the examples' puppet-ca Secret (EC: fast to make). */
    public static final io.choria.natsoperator.pki.TestCa PUPPET_CA = io.choria.natsoperator.pki.TestCa.ecRoot("Puppet CA: test");

    private Examples() {}

    /**
     * An example as a user would apply it: no uid or generation (the API server sets them), in
     * {@code namespace} and named {@code name} (null keeps the example's).
     */
    public static NatsCluster toApply(Path file, String namespace, String name) {
        NatsCluster nc = load(file);
        nc.getMetadata().setUid(null);
        nc.getMetadata().setGeneration(null);
        if (namespace != null) nc.getMetadata().setNamespace(namespace);
        if (name != null) nc.getMetadata().setName(name);
        return nc;
    }

    /** The Secret the examples name in spec.tls.caSecretRef, created in {@code namespace} if absent. */
    public static void createPuppetCa(io.fabric8.kubernetes.client.KubernetesClient client, String namespace) {
        client.secrets().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("puppet-ca").withNamespace(namespace).endMetadata()
                .addToStringData("ca.crt", PUPPET_CA.certPem()).addToStringData("ca.key", PUPPET_CA.pkcs8KeyPem()).build())
                .createOr(s -> s.update());
    }

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
