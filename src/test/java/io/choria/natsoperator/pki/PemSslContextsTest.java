package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real TLS handshake over loopback: broker certificate from the operator, client certificate from TestCa. */
class PemSslContextsTest {

    static TestCa ca;
    static TestCa otherCa;
    static IssuedCertificate server;

    @BeforeAll
    static void setUp() {
        ca = TestCa.ecRoot("Handshake CA");
        otherCa = TestCa.ecRoot("Stranger CA");
        server = ca.load().issue(new ServerCertificateRequest("localhost", List.of("localhost", "127.0.0.1"), KeyAlgorithm.EC_P256, 1),
                Instant.now());
    }

    @Test
    void mutualTlsWithClientCertificateFromTheSameCa() throws Exception {
        TestCa.Pems client = ca.issueClientCertificate("node1.example.com");
        assertEquals("pong", handshake(client.clientContext(ca.certPem())));
    }

    @Test
    void serverRejectsClientFromAnotherCa() throws Exception {
        TestCa.Pems stranger = otherCa.issueClientCertificate("intruder.example.com");
        SSLContext ctx = PemSslContexts.clientContext(stranger.certPem(), stranger.keyPem(), ca.certPem());
        assertThrows(IOException.class, () -> handshake(ctx));
    }

    @Test
    void clientRejectsServerFromAnotherCa() throws Exception {
        TestCa.Pems client = ca.issueClientCertificate("node1.example.com");
        SSLContext trustsOther = PemSslContexts.clientContext(client.certPem(), client.keyPem(), otherCa.certPem());
        assertThrows(SSLException.class, () -> handshake(trustsOther));
    }

    @Test
    void badPemIsAGeneralSecurityException() {
        assertThrows(GeneralSecurityException.class, () -> PemSslContexts.clientContext("x", "y", ca.certPem()));
        assertThrows(GeneralSecurityException.class, () -> PemSslContexts.trustStore("no certificates here"));
    }

    /** Serves one connection with the issued broker certificate, demanding a client certificate like `verify: true`. */
    private static String handshake(SSLContext clientCtx) throws Exception {
        SSLContext serverCtx = PemSslContexts.clientContext(server.certificateChainPem(), server.privateKeyPem(), server.caBundlePem());
        try (SSLServerSocket listener = (SSLServerSocket) serverCtx.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setNeedClientAuth(true);
            listener.setSoTimeout(10_000);
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.getInputStream().read();
                    s.getOutputStream().write("pong".getBytes());
                    s.getOutputStream().flush();
                } catch (IOException ignored) {
                    // the client side reports the failure
                }
            });
            try (SSLSocket s = (SSLSocket) clientCtx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                s.setSoTimeout(10_000);
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                OutputStream out = s.getOutputStream();
                out.write('p');
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = in.readNBytes(4);
                if (buf.length < 4) {
                    throw new IOException("connection closed by server after " + buf.length + " bytes");
                }
                return new String(buf);
            } finally {
                served.get(15, TimeUnit.SECONDS);
            }
        }
    }
}
