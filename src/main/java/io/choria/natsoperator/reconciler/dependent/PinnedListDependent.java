package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.PinnedList;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One ConfigMap of the client port's pinned list (a part, or the manifest last). Not in {@link Dependents#ALL}: the reconciler
 * writes the list on its own ({@code NatsClusterReconciler.writePinnedList}), so that a refused write stops the list and not
 * the rest. Removed when revocation is no longer enforced.
 */
public final class PinnedListDependent extends Dependent<ConfigMap> {
    /** The parts in order, then the manifest: as {@link DesiredCluster#pinnedList()} has them. */
    public static final List<PinnedListDependent> ALL = all();

    private PinnedListDependent(int index) {
        super(ConfigMap.class, d -> d.pinnedList().isEmpty() ? null : d.pinnedList().get(index),
                index < PinnedList.PARTS ? n -> n.pinnedListPart(index) : Names::pinnedListManifest, true);
    }

    private static List<PinnedListDependent> all() {
        List<PinnedListDependent> all = new ArrayList<>();
        for (int i = 0; i <= PinnedList.PARTS; i++) all.add(new PinnedListDependent(i));
        return List.copyOf(all);
    }

    @Override
    protected boolean sameContent(ConfigMap desired, ConfigMap actual) {
        return Objects.equals(desired.getData(), actual.getData());
    }
}
