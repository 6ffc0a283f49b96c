package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.choria.natsoperator.pki.TestCa;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * PuppetCaClient against servers that misbehave on purpose (plain HTTP on loopback: the limits do not depend on TLS):
 * one that sends its answer one byte a second is cut at the deadline, body included; answers past a cap (rows, bytes,
 * one string, a certificate, a CRL) are refused with a TOO_LARGE that names the cap, having read no more than the cap,
 * from servers that would otherwise stream without end.
 */
class PuppetCaClientLimitsTest {
    static final String BUNDLE = TestCa.ecRoot("Puppet CA: limits").certPem();
    static final Duration DEADLINE = Duration.ofSeconds(2);

    static PuppetCaClient client(URI url, PuppetCaClient.Limits limits) throws Exception {
        return PuppetCaClient.anonymous(url, BUNDLE, limits);
    }

    static PuppetCaClient.Limits limits(int maxCertificates, long maxStatusesBytes, int maxCertificateBytes, int maxCrlBytes) {
        return new PuppetCaClient.Limits(Duration.ofSeconds(30), maxCertificates, maxStatusesBytes, maxCertificateBytes, maxCrlBytes);
    }

    /** Accepts connections, reads the request head, sends headers at once, then one byte of the body a second. */
    static final class Trickler implements AutoCloseable {
        final ServerSocket socket;
        final AtomicInteger bodyBytesSent = new AtomicInteger();
        final AtomicInteger hungUp = new AtomicInteger();

        Trickler(String contentType, byte[] body) throws IOException {
            socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        InputStream in = s.getInputStream();
                        int matched = 0; // read up to the blank line that ends the request head
                        byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                        while (matched < 4) {
                            int b = in.read();
                            if (b < 0) break;
                            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
                        }
                        OutputStream out = s.getOutputStream();
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        for (byte b : body) {
                            out.write(b);
                            out.flush();
                            bodyBytesSent.incrementAndGet();
                            Thread.sleep(1000);
                        }
                    } catch (IOException e) {
                        hungUp.incrementAndGet(); // the client hung up (or the test closed the socket)
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "trickler");
            t.setDaemon(true);
            t.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void aBodyTrickledOneByteASecondIsCutAtTheDeadline() throws Exception {
        String crl = "-----BEGIN X509 CRL-----\n" + "A".repeat(200) + "\n-----END X509 CRL-----\n";
        try (Trickler server = new Trickler("text/plain", crl.getBytes(StandardCharsets.US_ASCII))) {
            PuppetCaClient c = client(server.url(), new PuppetCaClient.Limits(DEADLINE, 100, 1 << 20, 1 << 16, 1 << 20));
            long start = System.nanoTime();
            PuppetCaException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(PuppetCaException.class, c::crl),
                    "the whole answer would take over four minutes");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(PuppetCaException.Kind.UNREACHABLE, e.kind());
            assertTrue(e.getMessage().contains("did not answer the CRL within 2s"), e.getMessage());
            assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, "cut at the 2 s deadline, took " + took);
            assertTrue(server.bodyBytesSent.get() < 10, server.bodyBytesSent + " bytes of the body sent");
        }
    }

    @Test
    void certificateStatusesTrickledOneByteASecondIsCutAtTheDeadline() throws Exception {
        String rows = "[{\"name\":\"node1.example.net\",\"state\":\"signed\",\"fingerprint\":\"AB:CD\"}]";
        try (Trickler server = new Trickler("application/json", rows.getBytes(StandardCharsets.US_ASCII))) {
            PuppetCaClient c = client(server.url(), new PuppetCaClient.Limits(DEADLINE, 100, 1 << 20, 1 << 16, 1 << 20));
            PuppetCaException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(PuppetCaException.class, c::certificateStatuses));
            assertTrue(e.getMessage().contains("did not answer certificate_statuses within 2s (the whole answer, body included)"),
                    e.getMessage());
        }
    }

    /** Serves {@code /puppet-ca/v1/...} with a generated body, chunked, as long as the client reads; counts what it sent. */
    static final class Streamer implements AutoCloseable {
        final HttpServer http;
        final AtomicLong sent = new AtomicLong();

        Streamer(Supplier<byte[]> head, Supplier<byte[]> repeated, long maxBytes) throws IOException {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
            http.createContext("/puppet-ca/v1/", ex -> {
                ex.sendResponseHeaders(200, 0);
                try (OutputStream o = ex.getResponseBody()) {
                    byte[] h = head.get();
                    o.write(h);
                    sent.addAndGet(h.length);
                    while (sent.get() < maxBytes) {
                        byte[] r = repeated.get();
                        o.write(r);
                        sent.addAndGet(r.length);
                    }
                } catch (IOException e) {
                    // the client stopped reading: that is the point
                }
            });
            http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            http.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    static final long ONE_GIB = 1L << 30;

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void moreRowsThanTheCapAreRefusedWithoutReadingTheRest() throws Exception {
        AtomicInteger n = new AtomicInteger();
        try (Streamer server = new Streamer(() -> ascii("[{\"name\":\"n0\",\"state\":\"signed\",\"fingerprint\":\"00\"}"),
                () -> ascii(",{\"name\":\"n" + n.incrementAndGet() + "\",\"state\":\"signed\",\"fingerprint\":\"00\"}"), ONE_GIB)) {
            PuppetCaException e = assertThrows(PuppetCaException.class,
                    () -> client(server.url(), limits(1000, 256L << 20, 1 << 16, 1 << 20)).certificateStatuses());
            assertEquals(PuppetCaException.Kind.TOO_LARGE, e.kind());
            assertTrue(e.getMessage().contains("certificate_statuses lists more than 1000 certificates, the operator's cap"), e.getMessage());
            assertTrue(server.sent.get() < (64L << 20), "the server got to send " + server.sent + " bytes");
        }
    }

    @Test
    void anAnswerLargerThanItsByteCapIsRefusedEvenWithFewRows() throws Exception {
        // One row whose ignored field grows without end: few rows, many bytes.
        try (Streamer server = new Streamer(() -> ascii("[{\"name\":\"n\",\"state\":\"signed\",\"dns_alt_names\":[\"a\""),
                () -> ascii(",\"DNS:some-name.example.net\""), ONE_GIB)) {
            PuppetCaException e = assertThrows(PuppetCaException.class,
                    () -> client(server.url(), limits(1000, 1 << 20, 1 << 16, 1 << 20)).certificateStatuses());
            assertEquals(PuppetCaException.Kind.TOO_LARGE, e.kind());
            assertTrue(e.getMessage().contains("certificate_statuses is larger than 1048576 bytes, the operator's cap"), e.getMessage());
            assertTrue(server.sent.get() < (64L << 20), "the server got to send " + server.sent + " bytes");
        }
    }

    @Test
    void oneHugeStringInARowIsRefused() throws Exception {
        try (Streamer server = new Streamer(() -> ascii("[{\"name\":\""), () -> ascii("x".repeat(4096)), ONE_GIB)) {
            PuppetCaException e = assertThrows(PuppetCaException.class,
                    () -> client(server.url(), limits(1000, 256L << 20, 1 << 16, 1 << 20)).certificateStatuses());
            assertEquals(PuppetCaException.Kind.TOO_LARGE, e.kind());
            assertTrue(e.getMessage().contains("certificate_statuses holds a value past the operator's cap"), e.getMessage());
            assertTrue(server.sent.get() < (64L << 20), "the server got to send " + server.sent + " bytes");
        }
    }

    @Test
    void aCertificateOrCrlLargerThanItsCapIsRefused() throws Exception {
        try (Streamer server = new Streamer(() -> ascii("-----BEGIN CERTIFICATE-----\n"), () -> ascii("A".repeat(64) + "\n"), ONE_GIB)) {
            PuppetCaClient c = client(server.url(), limits(1000, 256L << 20, 1 << 16, 1 << 20));
            PuppetCaException cert = assertThrows(PuppetCaException.class, () -> c.certificate("node1.example.net"));
            assertEquals(PuppetCaException.Kind.TOO_LARGE, cert.kind());
            assertTrue(cert.getMessage().contains("certificate node1.example.net is larger than 65536 bytes, the operator's cap"), cert.getMessage());
            PuppetCaException crl = assertThrows(PuppetCaException.class, c::crl);
            assertEquals(PuppetCaException.Kind.TOO_LARGE, crl.kind());
            assertTrue(crl.getMessage().contains("the CRL is larger than 1048576 bytes, the operator's cap"), crl.getMessage());
            assertTrue(server.sent.get() < (2 * 64L << 20), "the server got to send " + server.sent + " bytes");
        }
    }
}
