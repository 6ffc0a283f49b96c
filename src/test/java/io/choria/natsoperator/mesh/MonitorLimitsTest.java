package io.choria.natsoperator.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.testing.Examples;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The size and time bounds of the {@code /varz} read, against one-connection HTTP servers on
 * 127.0.0.1 that misbehave on purpose. Timings are loose: the machine may be shared.
 */
class MonitorLimitsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration GENEROUS = Duration.ofSeconds(10);
    private static final int ONE_MIB = 1 << 20; // MonitorClient.MAX_BODY_BYTES

    private final List<java.io.Closeable> open = new CopyOnWriteArrayList<>();
    private final AtomicLong bodyBytesWritten = new AtomicLong();

    @AfterEach
    void close() {
        for (java.io.Closeable c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing is best effort
            }
        }
    }

    @Test
    void aSmallVarzIsStillRead() {
        URI uri = serve(out -> {
            byte[] body = "{\"server_name\":\"n0\",\"remotes\":0,\"routes\":0}".getBytes(StandardCharsets.UTF_8);
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
        });
        MeshObservation m = check(uri);
        assertTrue(m.meshed(), m.message());
        assertEquals(Reason.FullMesh, m.reason());
    }

    @Test
    void aHugeStreamedBodyIsRefusedWithoutReadingItAll() {
        long fifty = 50L << 20;
        URI uri = serve(out -> {
            // No Content-Length: the body runs until the connection closes, so only counting can stop it.
            out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"remotes\":0,\"x\":\""
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'a');
            while (bodyBytesWritten.get() < fifty) {
                out.write(chunk);
                bodyBytesWritten.addAndGet(chunk.length);
            }
            out.write("\"}".getBytes(StandardCharsets.US_ASCII));
        });
        long start = System.nanoTime();
        MeshObservation m = assertTimeoutPreemptively(GENEROUS, () -> check(uri));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertFalse(m.meshed());
        assertEquals(Reason.BrokerUnreachable, m.reason());
        assertTrue(m.message().contains("/varz answer is larger than " + ONE_MIB + " bytes"), m.message());
        // Loopback socket buffers hold a few MiB at most: far less than the 50 MiB a full read takes.
        assertTrue(bodyBytesWritten.get() < fifty / 2, "server wrote " + bodyBytesWritten.get() + " bytes");
        assertTrue(elapsedMs < GENEROUS.toMillis(), elapsedMs + " ms");
    }

    @Test
    void aDeclaredHugeBodyIsRefusedFromItsHeaders() {
        URI uri = serve(out -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + (50L << 20)
                    + "\r\n\r\n{\"remotes\":0,").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            sleep(30_000); // never sends the rest: only the header can end this early
        });
        MeshObservation m = assertTimeoutPreemptively(GENEROUS, () -> check(uri));
        assertEquals(Reason.BrokerUnreachable, m.reason());
        assertTrue(m.message().contains("/varz answer is larger than " + ONE_MIB + " bytes"), m.message());
    }

    @Test
    void aBodyDrippingAByteASecondEndsAtTheDeadline() {
        URI uri = serve(out -> {
            String body = "{\"server_name\":\"slow\",\"remotes\":0,\"padding\":\"" + "x".repeat(40) + "\"}";
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            for (byte b : body.getBytes(StandardCharsets.US_ASCII)) {
                out.write(b);
                out.flush();
                sleep(1000);
            }
        });
        // The body takes about 80 s at a byte a second; a deadline that stopped at the headers would wait for all of it.
        // The upper bound sits far from both that and the 2 s deadline, so a busy machine cannot flip it.
        Duration wholeBody = Duration.ofSeconds(80);
        long start = System.nanoTime();
        MeshObservation m = assertTimeoutPreemptively(wholeBody.dividedBy(2), () -> check(uri));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Reason.BrokerUnreachable, m.reason());
        assertEquals("broker-single-0 did not answer /varz: no complete answer to /varz within 2000 ms", m.message());
        assertTrue(elapsedMs >= TIMEOUT.toMillis() - 100, "not before the deadline: " + elapsedMs + " ms");
    }

    /**
     * The deadline does not depend on the common ForkJoinPool: with every one of its threads blocked
     * (any library's blocking task would do that), a body dripping a byte a second still ends at the
     * deadline. On a machine whose common pool has a single thread (two cores) the JDK's delayed
     * executor starts a thread per task instead, so there only
     * {@code -DargLine=-Djava.util.concurrent.ForkJoinPool.common.parallelism=4} shows the difference.
     */
    @Test
    void theDeadlineHoldsWhileTheCommonPoolIsBlocked() {
        URI uri = serve(out -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 60; i++) {
                out.write(' ');
                out.flush();
                sleep(1000);
            }
        });
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ForkJoinPool pool = java.util.concurrent.ForkJoinPool.commonPool();
        java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(pool.getParallelism());
        try {
            for (int i = 0; i < pool.getParallelism(); i++) {
                pool.execute(() -> {
                    blocked.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertTrue(await(blocked), "every common pool thread is blocked");
            MeshObservation m = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> check(uri));
            assertEquals("broker-single-0 did not answer /varz: no complete answer to /varz within 2000 ms", m.message());
        } finally {
            release.countDown();
        }
    }

    private static boolean await(java.util.concurrent.CountDownLatch latch) {
        try {
            return latch.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A broker that never answers is described the same way every time: the operator polls it every
     * few seconds and reconciles when the description changes, so a race between two timers that
     * said it two ways would rewrite the status at every poll.
     */
    @Test
    void aSilentBrokerIsDescribedTheSameWayEveryTime() {
        List<java.util.concurrent.CompletableFuture<MeshObservation>> checks = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            URI uri = serve(out -> sleep(60_000));
            checks.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> check(uri), r -> new Thread(r).start()));
        }
        for (var c : checks) {
            MeshObservation m = assertTimeoutPreemptively(GENEROUS, () -> c.join());
            assertEquals("broker-single-0 did not answer /varz: no answer to /varz within 2000 ms", m.message());
        }
    }

    @Test
    void anotherStatusIsStillReportedAsSuch() {
        URI uri = serve(out -> out.write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"
                .getBytes(StandardCharsets.US_ASCII)));
        MeshObservation m = check(uri);
        assertEquals(Reason.BrokerUnreachable, m.reason());
        assertEquals("broker-single-0 did not answer /varz: HTTP 503 from /varz", m.message());
    }

    private static MeshObservation check(URI uri) {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.ONE_BROKER));
        return new MeshChecker(new MonitorClient(TIMEOUT)).check(nc, i -> uri);
    }

    private interface Answer {
        void write(OutputStream out) throws IOException;
    }

    /** Serves one connection with {@code answer} after reading the request head; a daemon thread, closed after the test. */
    private URI serve(Answer answer) {
        try {
            ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            open.add(server);
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    open.add(s);
                    readRequestHead(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    answer.write(out);
                    out.flush();
                } catch (IOException e) {
                    // the client hung up: what the bounds are for
                }
            }, "monitor-limits-server");
            t.setDaemon(true);
            t.start();
            return URI.create("http://127.0.0.1:" + server.getLocalPort());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void readRequestHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int c; matched < 4 && (c = in.read()) >= 0; ) {
            matched = c == end[matched] ? matched + 1 : (c == '\r' ? 1 : 0);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
