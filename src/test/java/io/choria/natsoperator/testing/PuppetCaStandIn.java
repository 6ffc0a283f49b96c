package io.choria.natsoperator.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.pki.PemSslContexts;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for the Puppet CA's HTTP API (Puppet Server 7's paths and JSON, the JDK's HTTPS
 * server on loopback), for tests that must not start Puppet Server: it autosigns every CSR with a
 * {@link TestCa}, serves the certificates, their statuses and a CRL, and can be switched
 * {@link #down} (HTTP 503, as Puppet Server answers while it restarts) and {@link #up} again.
 * It asks for a client certificate but needs none (as Puppet Server), and refuses
 * {@code certificate_statuses} (403, as auth.conf does) to a certificate whose subject {@link #forbid} names. It counts requests by path, and
 * can {@link #trickle} the answers to some paths, one byte at a time, as a struggling or hostile server
 * would; each request is handled on a thread of its own, so a trickling answer holds up no other.
 */
public final class PuppetCaStandIn implements AutoCloseable {
    private static final String PREFIX = "/puppet-ca/v1/";
    private final TestCa ca;
    private final HttpsServer https;
    private final Map<String, String> certificates = new ConcurrentHashMap<>();
    private final Map<String, String> states = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger certificateFetches = new AtomicInteger();
    private volatile String crl;
    private final Map<String, AtomicInteger> byPath = new ConcurrentHashMap<>();
    private final AtomicInteger trickling = new AtomicInteger();
    private final java.util.concurrent.ExecutorService handlers = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "puppet-ca-stand-in");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean down;
    private final java.util.Set<String> forbidden = ConcurrentHashMap.newKeySet();
    private volatile String tricklePath;
    private volatile Duration tricklePerByte;
    private volatile Duration trickleAfter = Duration.ZERO;
    private volatile boolean puppet7Rows;
    private final Map<String, java.util.List<long[]>> timings = new ConcurrentHashMap<>();
    private volatile String holdPath;
    private final AtomicInteger holding = new AtomicInteger();
    private final Object held = new Object();
    private volatile boolean autosign = true;
    private final Map<String, String> pendingRequests = new ConcurrentHashMap<>();
    private volatile String refusal;

    private PuppetCaStandIn(TestCa ca) throws Exception {
        this.ca = ca;
        // Current for the whole of any test: an hour before the CA was made to two days after.
        this.crl = ca.crlPem(ca.madeAt().minus(Duration.ofHours(1)), ca.madeAt().plus(Duration.ofDays(2)));
        IssuedCertificate server = ca.load().issue(new ServerCertificateRequest("localhost", List.of("localhost"),
                KeyAlgorithm.EC_P256, 30), Instant.now());
        https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(serverContext(server, ca.certPem())) {
            @Override
            public void configure(com.sun.net.httpserver.HttpsParameters params) {
                javax.net.ssl.SSLParameters p = getSSLContext().getDefaultSSLParameters();
                p.setWantClientAuth(true);
                params.setSSLParameters(p);
            }
        });
        https.createContext(PREFIX, this::handle);
        https.setExecutor(handlers);
        https.start();
    }

    public static PuppetCaStandIn start(TestCa ca) {
        try {
            return new PuppetCaStandIn(ca);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the Puppet CA stand-in", e);
        }
    }

    /** {@code https://localhost:<port>}: the name its certificate carries. */
    public URI url() {
        return URI.create("https://localhost:" + https.getAddress().getPort());
    }

    /** Every request from now on is answered 503. */
    public void down() {
        down = true;
    }

    public void up() {
        down = false;
    }

    /** Requests received so far, answered or not. */
    public int requests() {
        return requests.get();
    }

    /** {@code certificate/<certname>} requests received so far. */
    public int certificateFetches() {
        return certificateFetches.get();
    }

    /**
     * From now on the CRL lists {@code serials} (current for the same window as the first one), while
     * {@code certificate_statuses} still says {@code signed} for them: the lag the operator re-checks for.
     */
    public void listOnCrl(java.math.BigInteger... serials) {
        crl = ca.crlPem(ca.madeAt().minus(Duration.ofHours(1)), ca.madeAt().plus(Duration.ofDays(2)), serials);
    }

    /**
     * Requests received so far for paths under {@code /puppet-ca/v1/} starting with {@code prefix} (e.g.
     * {@code "certificate_statuses"}, {@code "certificate_revocation_list"}), answered or not.
     */
    public int requests(String prefix) {
        return byPath.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToInt(e -> e.getValue().get()).sum();
    }

    /**
     * From now on, answers to paths starting with {@code prefix} are sent one byte every {@code perByte} (headers at
     * once, with the full Content-Length), until the client hangs up; null stops it for new requests.
     */
    public void trickle(String prefix, Duration perByte) {
        trickle(prefix, perByte, Duration.ZERO);
    }

    /** As {@link #trickle(String, Duration)}, and nothing at all (not even the headers) for {@code after} first. */
    public void trickle(String prefix, Duration perByte, Duration after) {
        tricklePerByte = perByte;
        trickleAfter = after;
        tricklePath = prefix;
    }

    /**
     * From now on, {@code certificate_statuses} rows carry every field Puppet Server 7 lists (fingerprints by digest, alt
     * names, authorization extensions, serial, validity), about 750 bytes a row, instead of name, state and fingerprint.
     */
    public void puppet7Rows() {
        puppet7Rows = true;
    }

    /** Nodes {@code node<i>.<domain>} for i in [0, n), each with its own key, made on {@code threads} threads. */
    public void addNodes(int n, String domain, int threads) throws InterruptedException {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        for (int t = 0; t < threads; t++) {
            int first = t;
            pool.execute(() -> {
                for (int i = first; i < n; i += threads) addNode("node" + i + "." + domain);
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.HOURS)) throw new IllegalStateException("nodes not made within an hour");
    }

    /** Start and end (System.nanoTime, end = answer sent) of each request for paths starting with {@code prefix}. */
    public java.util.List<long[]> timings(String prefix) {
        java.util.List<long[]> all = new java.util.ArrayList<>();
        timings.forEach((path, l) -> {
            if (path.startsWith(prefix)) {
                synchronized (l) {
                    all.addAll(l);
                }
            }
        });
        all.sort(java.util.Comparator.comparingLong(t -> t[0]));
        return all;
    }

    /**
     * From now on, requests for paths starting with {@code prefix} are held: the connection is accepted and the request
     * read, and no answer comes (not even headers) until {@link #release}, {@link #close}, or the client hangs up.
     */
    public void hold(String prefix) {
        holdPath = prefix;
    }

    /** Answers every held request, and holds no more. */
    public void release() {
        synchronized (held) {
            holdPath = null;
            held.notifyAll();
        }
    }

    /** Requests being held right now. */
    public int holding() {
        return holding.get();
    }

    /** Off: a CSR waits for {@link #sign} (certificate_request answers it as pending), as Puppet without autosign. */
    public void autosign(boolean on) {
        autosign = on;
    }

    /** Signs a pending CSR, as {@code puppetserver ca sign --certname}. */
    public void sign(String certname) {
        String csr = pendingRequests.remove(certname);
        if (csr == null) throw new IllegalStateException("no pending request for " + certname);
        certificates.put(certname, ca.signRequest(csr));
        states.put(certname, "signed");
    }

    /** Certnames whose CSR waits to be signed. */
    public java.util.Set<String> pending() {
        return java.util.Set.copyOf(pendingRequests.keySet());
    }

    /** Non-null: every CSR is refused (HTTP 400) with this message, as Puppet refuses one for a revoked certname. */
    public void refuseRequests(String message) {
        refusal = message;
    }

    /** certificate_statuses is refused (HTTP 403) to client certificates whose subject contains {@code subjectPart}. */
    public void forbid(String subjectPart) {
        forbidden.add(subjectPart);
    }

    /** Answers being trickled right now. */
    public int trickling() {
        return trickling.get();
    }

    /** A node's certificate, signed and listed, as {@code puppetserver ca sign} leaves it. */
    public TestCa.Pems addNode(String certname) {
        TestCa.Pems node = ca.issueClientCertificate(certname);
        certificates.put(certname, node.certPem());
        states.put(certname, "signed");
        return node;
    }

    private void handle(HttpExchange ex) throws IOException {
        long started = System.nanoTime();
        requests.incrementAndGet();
        String path = ex.getRequestURI().getPath().substring(PREFIX.length());
        try {
            answer(ex, path);
        } finally {
            String key = path.startsWith("certificate/") ? "certificate/" : path;
            timings.computeIfAbsent(key, k -> java.util.Collections.synchronizedList(new java.util.ArrayList<>()))
                    .add(new long[] {started, System.nanoTime()});
        }
    }

    private void answer(HttpExchange ex, String path) throws IOException {
        byPath.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
        String method = ex.getRequestMethod();
        awaitRelease(path);
        int status = 200;
        String body;
        if (down) {
            status = 503;
            body = "Service Unavailable";
        } else if (path.startsWith("certificate_request/") && method.equals("PUT") && refusal != null) {
            status = 400;
            body = refusal;
        } else if (path.startsWith("certificate_request/") && method.equals("PUT")) {
            String certname = path.substring("certificate_request/".length());
            String csr = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.US_ASCII);
            if (autosign) {
                certificates.put(certname, ca.signRequest(csr));
                states.put(certname, "signed");
            } else {
                pendingRequests.put(certname, csr);
                states.put(certname, "requested");
            }
            body = "";
        } else if (path.startsWith("certificate_request/")) {
            body = pendingRequests.get(path.substring("certificate_request/".length()));
            if (body == null) {
                status = 404; // signed at once, or never asked
                body = "Not Found";
            }
        } else if (path.startsWith("certificate/")) {
            certificateFetches.incrementAndGet();
            body = certificates.get(path.substring("certificate/".length()));
            if (body == null) {
                status = 404;
                body = "Not Found";
            }
        } else if (path.startsWith("certificate_revocation_list/")) {
            body = crl;
        } else if (path.startsWith("certificate_statuses/") && refused(ex)) {
            status = 403;
            body = "Forbidden request: certificate_statuses (method :get). Please see the server logs for details.";
        } else if (path.startsWith("certificate_statuses/")) {
            StringBuilder json = new StringBuilder("[");
            boolean full = puppet7Rows;
            states.forEach((name, state) -> {
                json.append(json.length() > 1 ? "," : "");
                if (full) {
                    json.append(puppet7Row(name, state));
                } else {
                    json.append("{\"name\":\"").append(name).append("\",\"state\":\"").append(state).append("\",\"fingerprint\":\"")
                            .append(fingerprint(certificates.getOrDefault(name, pendingRequests.get(name)))).append("\"}");
                }
            });
            body = json.append("]").toString();
        } else {
            status = 404;
            body = "Not Found";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String slow = tricklePath;
        if (slow != null && path.startsWith(slow) && !trickleAfter.isZero()) {
            trickling.incrementAndGet();
            try {
                Thread.sleep(trickleAfter.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("stand-in stopped", e);
            } finally {
                trickling.decrementAndGet();
            }
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream o = ex.getResponseBody()) {
            if (slow != null && path.startsWith(slow) && bytes.length > 0) {
                trickle(o, bytes, tricklePerByte);
            } else {
                o.write(bytes);
            }
        }
    }

    private void awaitRelease(String path) throws IOException {
        String h = holdPath;
        if (h == null || !path.startsWith(h)) return;
        holding.incrementAndGet();
        try {
            synchronized (held) {
                while (holdPath != null && path.startsWith(holdPath)) held.wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("stand-in stopped", e);
        } finally {
            holding.decrementAndGet();
        }
    }

    private void trickle(OutputStream o, byte[] bytes, Duration perByte) throws IOException {
        trickling.incrementAndGet();
        try {
            for (byte b : bytes) {
                o.write(b);
                o.flush();
                Thread.sleep(perByte.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("stand-in stopped", e);
        } finally {
            trickling.decrementAndGet();
        }
    }

    private boolean refused(HttpExchange ex) {
        if (forbidden.isEmpty()) return false;
        try {
            var peer = ((com.sun.net.httpserver.HttpsExchange) ex).getSSLSession().getPeerCertificates();
            String subject = ((java.security.cert.X509Certificate) peer[0]).getSubjectX500Principal().getName();
            return forbidden.stream().anyMatch(subject::contains);
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return false; // no client certificate: as the stand-in always did
        }
    }

    /** SHA-256 of the DER, upper-case hex pairs joined by colons, as Puppet lists it. */
    private static String fingerprint(String pem) {
        return fingerprint(pem, "SHA-256");
    }

    private static String fingerprint(String pem, String digest) {
        try {
            byte[] der = java.util.Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
            String hex = HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance(digest).digest(der));
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < hex.length(); i += 2) b.append(i > 0 ? ":" : "").append(hex, i, i + 2);
            return b.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private final Map<String, String> rows = new ConcurrentHashMap<>();

    /** One row as Puppet Server 7's certificate_statuses lists a signed certificate (cached per certname and state). */
    private String puppet7Row(String name, String state) {
        return rows.computeIfAbsent(name + " " + state, k -> {
            String pem = certificates.get(name);
            String sha256 = fingerprint(pem);
            java.security.cert.X509Certificate c;
            try {
                c = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            } catch (java.security.cert.CertificateException e) {
                throw new IllegalStateException(e);
            }
            java.time.format.DateTimeFormatter utc = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'UTC'")
                    .withZone(java.time.ZoneOffset.UTC);
            return "{\"name\":\"" + name + "\",\"state\":\"" + state + "\",\"fingerprint\":\"" + sha256
                    + "\",\"fingerprints\":{\"SHA1\":\"" + fingerprint(pem, "SHA-1") + "\",\"SHA256\":\"" + sha256 + "\",\"SHA512\":\""
                    + fingerprint(pem, "SHA-512") + "\",\"default\":\"" + sha256 + "\"},\"dns_alt_names\":[],\"subject_alt_names\":[\"DNS:"
                    + name + "\"],\"authorization_extensions\":{},\"serial_number\":" + c.getSerialNumber() + ",\"not_before\":\""
                    + utc.format(c.getNotBefore().toInstant()) + "\",\"not_after\":\"" + utc.format(c.getNotAfter().toInstant()) + "\"}";
        });
    }

    private static SSLContext serverContext(IssuedCertificate cert, String caPem) throws Exception {
        char[] pw = "stand-in".toCharArray();
        KeyStore ks = PemSslContexts.keyStore(cert.certificateChainPem(), cert.privateKeyPem(), pw);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(PemSslContexts.trustStore(caPem));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    @Override
    public void close() {
        https.stop(0);
        handlers.shutdownNow();
    }
}
