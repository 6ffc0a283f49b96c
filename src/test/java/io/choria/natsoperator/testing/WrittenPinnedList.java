package io.choria.natsoperator.testing;

import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.PinnedList;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.Map;

/** The pinned list a NatsCluster's operator wrote (its manifest and parts), read back as the brokers would assemble it. */
public final class WrittenPinnedList {
    private WrittenPinnedList() {}

    /** The {@code pinned_certs.conf} the brokers assemble from what is written; null before the manifest is. */
    public static String file(KubernetesClient client, String namespace, String cluster) {
        Names names = new Names(cluster, namespace, "cluster.local");
        Map<String, String> files = new HashMap<>();
        put(files, PinnedList.MANIFEST, client.configMaps().inNamespace(namespace).withName(names.pinnedListManifest()).get(), PinnedList.MANIFEST);
        for (int i = 0; i < PinnedList.PARTS; i++) {
            put(files, PinnedList.partFile(i), client.configMaps().inNamespace(namespace).withName(names.pinnedListPart(i)).get(), PinnedList.PART_KEY);
        }
        PinnedList list = PinnedList.read(files);
        return list == null ? null : PinnedKeys.of(list).render(namespace, cluster);
    }

    private static void put(Map<String, String> files, String file, ConfigMap cm, String key) {
        if (cm != null && cm.getData() != null && cm.getData().get(key) != null) files.put(file, cm.getData().get(key));
    }
}
