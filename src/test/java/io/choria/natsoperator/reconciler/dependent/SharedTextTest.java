package io.choria.natsoperator.reconciler.dependent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Two clusters' equal pinned-list parts are one String in the informer cache; small values stay each ConfigMap's own. */
class SharedTextTest {
    static ConfigMap part(String ns, String keys, String small) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace(ns).withName("broker-pinned-0").endMetadata()
                .withData(Map.of("keys", keys, "note", small)).build();
    }

    @Test
    void equalLargeValuesAreHeldOnce() {
        String keys = "0".repeat(64).concat("\n").repeat(200); // 13,000 characters, as a part of 200 keys
        ConfigMap a = SharedText.shareData(part("site-a", new String(keys.toCharArray()), new String("small".toCharArray())));
        ConfigMap b = SharedText.shareData(part("site-b", new String(keys.toCharArray()), new String("small".toCharArray())));
        assertEquals(keys, b.getData().get("keys"));
        assertSame(a.getData().get("keys"), b.getData().get("keys"), "one String for both clusters' equal parts");
        assertNotSame(a.getData().get("note"), b.getData().get("note"), "values under " + SharedText.MIN_LENGTH + " characters are left alone");
        ConfigMap other = SharedText.shareData(part("site-c", keys.replace('0', '1'), "small"));
        assertNotSame(a.getData().get("keys"), other.getData().get("keys"), "another list is its own");
    }
}
