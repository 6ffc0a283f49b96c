package io.choria.natsoperator.status;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.jetstream.StreamKeeper;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MeshObservation;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code StreamsReady} condition (spec.streams) from one look of the brokers: JetStream answers (a meta leader is
 * known), every managed stream has a leader and all its replicas current, and no broker's store is past
 * {@link #STORAGE_WARN_PERCENT} of its max_file_store.
 */
public record StreamsVerdict(boolean ready, Reason reason, String message) {
    /** A store this full warns while there is still room to act (grow the volume, shorten a retention). */
    public static final int STORAGE_WARN_PERCENT = 80;

    public static StreamsVerdict of(NatsCluster nc, MeshObservation mesh) {
        StreamKeeper.Report r = mesh.streams();
        if (r.error() != null) return new StreamsVerdict(false, Reason.StreamsUnavailable, r.error());
        List<String> behind = new ArrayList<>();
        for (StreamKeeper.StreamState s : r.streams()) {
            if (!s.healthy()) behind.add(s.name() + " " + s.current() + "/" + s.replicas() + " replicas current"
                    + (s.leader() == null || s.leader().isEmpty() ? ", no leader" : "") + (s.keptBy() != null ? " (kept by site " + s.keptBy() + ")" : ""));
        }
        if (!behind.isEmpty()) return new StreamsVerdict(false, Reason.StreamReplicasBehind, String.join("; ", behind));
        List<String> full = new ArrayList<>();
        for (MeshChecker.BrokerView b : mesh.answered()) {
            long max = b.varz().maxStoreBytes();
            if (max > 0 && b.varz().storeBytes() * 100 >= max * STORAGE_WARN_PERCENT) {
                full.add(b.broker() + " " + (b.varz().storeBytes() * 100 / max) + "% of its store (" + (b.varz().storeBytes() >> 20) + " of "
                        + (max >> 20) + " MiB)");
            }
        }
        if (!full.isEmpty()) {
            return new StreamsVerdict(false, Reason.StreamStorageLow, String.join("; ", full)
                    + ": grow spec.streams.storage.size or shorten spec.streams.retention");
        }
        String managed = Boolean.TRUE.equals(nc.getSpec().getStreams().getManage())
                ? r.streams().size() + " streams with all replicas current" + keptElsewhere(r.streams())
                : "JetStream answers (streams not managed: spec.streams.manage is false)";
        return new StreamsVerdict(true, Reason.StreamsReady, managed + (r.actions().isEmpty() ? "" : "; " + String.join(", ", r.actions())));
    }

    /** Streams another site placed and keeps (gateways), and which of them have settings other than this spec's. */
    private static String keptElsewhere(List<StreamKeeper.StreamState> streams) {
        java.util.Map<String, List<String>> bySite = new java.util.TreeMap<>();
        List<String> differ = new ArrayList<>();
        for (StreamKeeper.StreamState s : streams) {
            if (s.keptBy() == null) continue;
            bySite.computeIfAbsent(s.keptBy(), k -> new ArrayList<>()).add(s.name());
            if (s.settingsDiffer()) differ.add(s.name());
        }
        if (bySite.isEmpty()) return "";
        List<String> parts = new ArrayList<>();
        bySite.forEach((site, names) -> parts.add(String.join(", ", names) + " kept by site " + site));
        return " (" + String.join("; ", parts) + (differ.isEmpty() ? "" : "; settings there differ from this spec.streams: "
                + String.join(", ", differ)) + ")";
    }
}
