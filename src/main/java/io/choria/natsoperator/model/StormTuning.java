package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.SysctlsSpec;
import io.choria.natsoperator.api.TlsSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Settings in a spec that were measured to make a reconnect storm much longer, or endless
 * (docs/BENCHMARKS.md, "Reconnect storms with the real client"): a listen backlog above 256 and
 * an RSA-2048 broker key. Clusters made before EC-P256 and somaxconn 128 became the defaults
 * carry the old values in their stored spec, which the operator does not rewrite; this says so.
 */
public final class StormTuning {
    /** 128 and 256 ended storms alike; 512 took twice as long (5000 nodes at half a CPU). */
    static final int LONGEST_MEASURED_GOOD_BACKLOG = 256;

    private StormTuning() {}

    /** What in the spec slows a reconnect storm, and how to change it; empty when nothing does. */
    public static Optional<String> slowSettings(NatsClusterSpec spec) {
        List<String> slow = new ArrayList<>();
        List<String> patch = new ArrayList<>();
        SysctlsSpec sysctls = spec.getSysctls();
        if (sysctls != null && sysctls.getMode() != SysctlsSpec.Mode.None && sysctls.getSomaxconn() != null
                && sysctls.getSomaxconn() > LONGEST_MEASURED_GOOD_BACKLOG) {
            slow.add("spec.sysctls.somaxconn " + sysctls.getSomaxconn() + " (a listen backlog above " + LONGEST_MEASURED_GOOD_BACKLOG
                    + " made storms 2 to 3 times longer, and without EC-P256 endless)");
            patch.add("\"sysctls\":{\"somaxconn\":" + SysctlsSpec.DEFAULT_SOMAXCONN + "}");
        }
        if (spec.getTls() != null && spec.getTls().getKeyAlgorithm() == TlsSpec.KeyAlgorithm.RSA_2048) {
            slow.add("spec.tls.keyAlgorithm RSA-2048 (1.6 to 2.5 times the broker's CPU per node connect of EC-P256)");
            patch.add("\"tls\":{\"keyAlgorithm\":\"EC-P256\"}");
        }
        if (slow.isEmpty()) return Optional.empty();
        return Optional.of(String.join("; ", slow) + ": a broker restart takes its nodes back sooner with the defaults"
                + " (clusters made before them keep the values stored then); to take them, the brokers rolling once:"
                + " kubectl patch natscluster <name> --type merge -p '{\"spec\":{" + String.join(",", patch) + "}}'");
    }
}
