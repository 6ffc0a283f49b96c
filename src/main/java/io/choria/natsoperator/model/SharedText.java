package io.choria.natsoperator.model;

import io.fabric8.kubernetes.api.model.ConfigMap;
import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * One copy of each large ConfigMap value in the operator: the pinned-list parts the model renders ({@link PinnedList}) and the
 * informer cache's copies of them, which reconciler.dependent.OwnedObjects passes through {@link #shareData}. Clusters
 * enrolled with one Puppet CA carry the same parts (15 of their 16 parts hold the same keys), and each copy is about 65 bytes
 * a key for every enrolled cluster. A value no longer held anywhere goes with the last holder (weak references).
 */
public final class SharedText {
    /** Values below this are left alone: the broker config and the manifest are each cluster's own. */
    static final int MIN_LENGTH = 4096;
    private static final Map<String, WeakReference<String>> SEEN = new WeakHashMap<>();

    private SharedText() {}

    /** The ConfigMap as the informer stores it: its large data values replaced by the equal ones already held. */
    public static ConfigMap shareData(ConfigMap cm) {
        if (cm.getData() == null) return cm;
        Map<String, String> data = new java.util.LinkedHashMap<>(cm.getData());
        data.replaceAll((k, v) -> v != null && v.length() >= MIN_LENGTH ? share(v) : v);
        cm.setData(data);
        return cm;
    }

    public static synchronized String share(String value) {
        WeakReference<String> held = SEEN.get(value);
        String existing = held == null ? null : held.get();
        if (existing != null) return existing;
        SEEN.put(value, new WeakReference<>(value));
        return value;
    }
}
