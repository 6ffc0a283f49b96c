package io.choria.natsoperator.bench;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.pki.CertificateAuthority;
import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.pki.PemSslContexts;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.InventorySync;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.puppet.PuppetCaClient;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * What revocation enforcement costs at fleet size: the operator's sync of a Puppet CA inventory
 * of N certificates (first sync fetches every certificate; later syncs only new ones), the size
 * of the pinned_certs file, and a real nats-server's reload of it.
 *
 * <p>The CA API here is a stand-in (the JDK's HTTPS server in this JVM, speaking Puppet Server
 * 7's paths and JSON) because a real Puppet Server signs about one certificate a second:
 * 10,000 would take hours. Run: {@code bench/run PuppetSyncBench [N] [reloads]}.
 */
public final class PuppetSyncBench {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int reloads = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        TestCa ca = TestCa.ecRoot("Bench Puppet CA");
        long t0 = System.nanoTime();
        Map<String, String> certs = new ConcurrentHashMap<>();
        Map<String, String> fingerprints = new ConcurrentHashMap<>();
        List<String> pins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "node" + i + ".example.net";
            String pem = ca.issueClientCertificate(name).certPem();
            certs.put(name, pem);
            fingerprints.put(name, fingerprint(pem));
            pins.add(TrustBundle.publicKeyPin(pem));
        }
        System.out.printf("made %d node certificates (EC P-256) in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);

        CertificateAuthority issuer = ca.load();
        IssuedCertificate server = issuer.issue(new ServerCertificateRequest("localhost", List.of("localhost", "127.0.0.1"),
                KeyAlgorithm.EC_P256, 30), Instant.now());
        IssuedCertificate client = issuer.issue(new ServerCertificateRequest("broker.choria.nats-00000000",
                List.of("broker.choria.svc"), KeyAlgorithm.EC_P256, 30), Instant.now());
        String crl = ca.crlPem(Instant.now(), Instant.now().plus(Duration.ofDays(1)));
        Map<String, String> states = new ConcurrentHashMap<>();
        certs.keySet().forEach(k -> states.put(k, "signed"));
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        https.setHttpsConfigurator(new HttpsConfigurator(serverContext(server)));
        https.setExecutor(Executors.newFixedThreadPool(8));
        https.createContext("/puppet-ca/v1/", ex -> {
            String path = ex.getRequestURI().getPath().substring("/puppet-ca/v1/".length());
            String body;
            int status = 200;
            if (path.startsWith("certificate_statuses/")) {
                StringBuilder json = new StringBuilder("[");
                states.forEach((name, state) -> json.append(json.length() > 1 ? "," : "").append("{\"name\":\"").append(name)
                        .append("\",\"state\":\"").append(state).append("\",\"fingerprint\":\"").append(fingerprints.get(name))
                        .append("\",\"dns_alt_names\":[],\"subject_alt_names\":[\"DNS:").append(name).append("\"]}"));
                body = json.append("]").toString();
            } else if (path.startsWith("certificate_revocation_list/")) {
                body = crl;
            } else if (path.startsWith("certificate/")) {
                body = certs.get(path.substring("certificate/".length()));
                if (body == null) {
                    body = "Not found";
                    status = 404;
                }
            } else {
                body = "";
                status = 404;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        });
        https.start();
        URI url = URI.create("https://localhost:" + https.getAddress().getPort());
        PuppetCaClient puppet = PuppetCaClient.authenticated(url, ca.certPem(), client.certificateChainPem(), client.privateKeyPem());
        InventorySync sync = new InventorySync();
        io.choria.natsoperator.pki.TrustBundle bundle = io.choria.natsoperator.pki.TrustBundle.parse(ca.certPem());

        InventorySync.Result first = sync.sync(puppet, bundle, Instant.now());
        double[] steady = new double[5];
        InventorySync.Result last = first;
        for (int i = 0; i < steady.length; i++) {
            last = sync.sync(puppet, bundle, Instant.now());
            steady[i] = last.took().toNanos() / 1e6;
        }
        Arrays.sort(steady);
        states.put("node0.example.net", "revoked");
        InventorySync.Result afterRevoke = sync.sync(puppet, bundle, Instant.now());
        https.stop(0);
        PinnedKeys list = PinnedKeys.none().with(afterRevoke.admitted());
        long r0 = System.nanoTime();
        String file = list.render("choria", "broker");
        double renderMs = (System.nanoTime() - r0) / 1e6;
        System.out.printf("first sync of %d certificates: %.2f s (%d fetched, %d admitted)%n", n, first.took().toNanos() / 1e9,
                first.fetched(), first.admitted().size());
        System.out.printf("steady sync, nothing new: median %.0f ms of %d (min %.0f, max %.0f), %d fetched%n",
                steady[steady.length / 2], steady.length, steady[0], steady[steady.length - 1], last.fetched());
        System.out.printf("sync after one revocation: %.0f ms, %d admitted%n", afterRevoke.took().toNanos() / 1e6, afterRevoke.admitted().size());
        System.out.printf("pinned_certs.conf: %d bytes (%.1f bytes per node), rendered in %.1f ms%n", file.length(),
                (double) file.length() / n, renderMs);

        try (LocalBrokerCluster broker = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(200).pinnedCerts(file).start()) {
            double[] ms = new double[reloads];
            for (int i = 0; i < reloads; i++) {
                list = list.nextEpoch();
                broker.updatePinnedCerts(list.render("choria", "broker"));
                int before = count(broker.log(0), "pinned_certs");
                long s = System.nanoTime();
                broker.reload(0);
                Await.until("reloaded", Duration.ofSeconds(60), () -> count(broker.log(0), "pinned_certs"), c -> c > before);
                ms[i] = (System.nanoTime() - s) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf("nats-server %s reload of a %d-key list (signal to 'Reloaded' in its log): median %.0f ms of %d (min %.0f, max %.0f)%n",
                    "(Debian)", list.admitted().size() + 1, ms[ms.length / 2], reloads, ms[0], ms[ms.length - 1]);
        }
        System.exit(0);
    }

    private static int count(String log, String what) {
        int c = 0;
        for (int i = log.indexOf(what); i >= 0; i = log.indexOf(what, i + 1)) c++;
        return c;
    }

    private static String fingerprint(String pem) throws Exception {
        byte[] der = java.util.Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        String hex = HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 2) b.append(i > 0 ? ":" : "").append(hex, i, i + 2);
        return b.toString();
    }


    private static SSLContext serverContext(IssuedCertificate cert) throws Exception {
        char[] pw = "bench".toCharArray();
        KeyStore ks = PemSslContexts.keyStore(cert.certificateChainPem(), cert.privateKeyPem(), pw);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
