package io.choria.natsoperator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A wait that times out says why: the last value, or the last exception of a probe that kept failing. */
class AwaitTest {

    @Test
    void aProbeThatAlwaysThrowsIsReportedWithItsException() {
        IllegalStateException boom = new IllegalStateException("connection refused by 127.0.0.9:8222");
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("the broker's /varz", Duration.ofMillis(300), () -> {
                    throw boom;
                }, x -> true));
        assertTrue(e.getMessage().contains("connection refused by 127.0.0.9:8222"), e.getMessage());
        assertTrue(e.getMessage().contains("the broker's /varz"), e.getMessage());
        assertSame(boom, e.getCause());
    }

    @Test
    void aValueThatNeverSatisfiesIsReportedAsLastSeen() {
        AtomicInteger calls = new AtomicInteger();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("five brokers", Duration.ofMillis(300), calls::incrementAndGet, n -> n < 0));
        assertTrue(e.getMessage().matches(".*last seen: \\d+$"), e.getMessage());
        assertEquals(null, e.getCause());
    }

    @Test
    void aFailureAfterAValueNamesBoth() {
        AtomicInteger calls = new AtomicInteger();
        AssertionError e = assertThrows(AssertionError.class, () -> Await.until("a reload", Duration.ofMillis(300), () -> {
            if (calls.incrementAndGet() == 1) return 1;
            throw new IllegalStateException("log unreadable");
        }, n -> n > 1));
        assertTrue(e.getMessage().contains("log unreadable") && e.getMessage().contains("last value seen before: 1"), e.getMessage());
    }

    @Test
    void returnsTheValueThatSatisfies() {
        AtomicInteger calls = new AtomicInteger();
        assertEquals(3, Await.until("three", Duration.ofSeconds(5), calls::incrementAndGet, n -> n >= 3));
    }
}
