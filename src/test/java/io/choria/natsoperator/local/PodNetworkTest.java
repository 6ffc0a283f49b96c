package io.choria.natsoperator.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.testing.External;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The pod network leaves nothing behind: a pod the kubelet starts while {@code local} stops gets no namespace (CI once found
 * one left after LocalCommandTest's stop-while-starting test), and close removes every namespace it made.
 */
@External
class PodNetworkTest {
    static String namespaces() {
        return PodNetwork.run(List.of("ip", "netns", "list"));
    }

    @Test
    void afterCloseNoPodGetsANamespaceAndNoneIsLeft() {
        String mine = PodNetwork.NETNS_PREFIX + Long.toHexString(ProcessHandle.current().pid()) + "-";
        PodNetwork net = PodNetwork.create();
        PodNetwork.Attachment a;
        try {
            a = net.attach("choria/broker-0");
            assertEquals(a, net.attach("choria/broker-0"), "the same pod asked twice gets the same");
            assertTrue(namespaces().contains(a.netns()), namespaces());
        } finally {
            net.close();
        }
        assertThrows(IllegalStateException.class, () -> net.attach("choria/broker-1"), "a pod started while local stops");
        assertFalse(namespaces().contains(mine), "no namespace of this process is left: " + namespaces());
    }
}
