package io.choria.natsoperator.model;

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

    /** The parts the model renders are the same Strings across clusters on one Puppet CA, and as the informer holds them. */
    @Test
    void renderedPartsAreHeldOnceWithTheInformersCopies() {
        java.util.TreeSet<String> keys = new java.util.TreeSet<>();
        for (int i = 0; i < 2000; i++) keys.add(io.choria.natsoperator.pki.Digests.sha256Hex("key " + i));
        java.util.TreeSet<String> withOwn = new java.util.TreeSet<>(keys);
        withOwn.add("0" + "f".repeat(63)); // another cluster's own key: only part 0 differs
        PinnedList a = new PinnedList(1, "a".repeat(64), keys), b = new PinnedList(1, "b".repeat(64), withOwn);
        assertSame(a.renderPart(5), b.renderPart(5), "an equal part is one String");
        assertNotSame(a.renderPart(0), b.renderPart(0));
        ConfigMap informers = SharedText.shareData(part("site-a", new String(a.renderPart(7).toCharArray()), "small"));
        assertSame(a.renderPart(7), informers.getData().get("keys"), "the informer's copy of a written part is the rendered String");
    }
}
