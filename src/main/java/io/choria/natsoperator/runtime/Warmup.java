package io.choria.natsoperator.runtime;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.ModelInputs;
import io.choria.natsoperator.model.NatsClusterModel;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.SpecValidator;
import io.choria.natsoperator.pki.KeyAlgorithms;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.security.GeneralSecurityException;
import java.time.Duration;

/**
 * Runs the reconcile's CPU path once, on a made-up cluster and with no I/O, while the informers
 * sync: classes loaded, JSON (de)serializers built for every owned kind, key generators and
 * big-number code warmed. Without it the first NatsCluster after start-up waits seconds for the
 * JVM itself; with it, {@code /readyz} means the operator answers at its usual speed.
 */
final class Warmup {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private Warmup() {}

    static Duration run() {
        long start = System.nanoTime();
        NatsCluster nc = new NatsCluster();
        nc.setMetadata(new ObjectMetaBuilder().withName("warmup").withNamespace("warmup").withUid("warmup").withGeneration(1L).build());
        NatsClusterSpec spec = new NatsClusterSpec();
        spec.setSize(3);
        nc.setSpec(spec);
        nc = SpecDefaults.withDefaults(nc);
        SpecValidator.validate(nc);
        DesiredCluster desired = NatsClusterModel.desired(nc, new ModelInputs("cluster.local", "warmup-not-a-secret", null));
        for (HasMetadata object : desired.inApplyOrder()) {
            JSON.unmarshal(JSON.asJson(object), object.getClass());
        }
        JSON.unmarshal(JSON.asJson(nc), NatsCluster.class);
        try {
            KeyAlgorithms.generate(KeyAlgorithm.EC_P256);
            KeyAlgorithms.generate(KeyAlgorithm.RSA_2048);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate the keys the operator issues", e);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
