package io.choria.natsoperator.model;

import java.util.LinkedHashMap;
import java.util.Map;

/** The app.kubernetes.io recommended labels on everything the operator creates. */
public final class Labels {
    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String PART_OF = "app.kubernetes.io/part-of";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String VERSION = "app.kubernetes.io/version";
    public static final String MANAGER = "nats-operator";

    private Labels() {}

    /** Selects the brokers of one cluster; immutable in a StatefulSet, so never add to it. */
    public static Map<String, String> selector(String cluster) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(NAME, "nats");
        m.put(INSTANCE, cluster);
        return m;
    }

    public static Map<String, String> of(String cluster, String component) {
        Map<String, String> m = selector(cluster);
        m.put(COMPONENT, component);
        m.put(PART_OF, "choria");
        m.put(MANAGED_BY, MANAGER);
        return m;
    }
}
