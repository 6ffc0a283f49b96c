package io.choria.natsoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** {@code local --metrics-address}: loopback only, refused (exit 2, before anything starts) otherwise. */
class LocalMetricsAddressTest {
    @Test
    void loopbackAddressesAreTaken() {
        InetSocketAddress a = LocalCommand.loopback("127.0.0.7:9090");
        assertEquals("127.0.0.7", a.getAddress().getHostAddress());
        assertEquals(9090, a.getPort());
        assertTrue(LocalCommand.loopback("[::1]:0").getAddress().isLoopbackAddress());
        assertTrue(LocalCommand.loopback("localhost:9090").getAddress().isLoopbackAddress());
    }

    @Test
    void anythingElseIsAUsageErrorThatSaysWhy() {
        var e = assertThrows(Main.UsageException.class, () -> LocalCommand.loopback("0.0.0.0:9090"));
        assertEquals("local: --metrics-address 0.0.0.0:9090 is not a loopback address (0.0.0.0): the operator's /metrics is served on 127.0.0.0/8 or ::1 only",
                e.getMessage());
        assertThrows(Main.UsageException.class, () -> LocalCommand.loopback("198.18.0.1:9090"));
        assertTrue(assertThrows(Main.UsageException.class, () -> LocalCommand.loopback("9090")).getMessage().contains("takes HOST:PORT"));
        assertTrue(assertThrows(Main.UsageException.class, () -> LocalCommand.loopback("127.0.0.1:x")).getMessage().contains("port"));
        // through Main, as a user types it: exit 2 before anything starts (no root needed to be refused)
        assertEquals(2, Main.run(new String[] {"local", "-f", "examples/natscluster-3.yaml", "--metrics-address", "0.0.0.0:9090"}));
    }
}
