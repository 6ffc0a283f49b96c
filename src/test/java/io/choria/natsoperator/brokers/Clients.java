package io.choria.natsoperator.brokers;

import io.choria.natsoperator.pki.PemSslContexts;
import io.choria.natsoperator.pki.TestCa;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/** jnats connections to the local brokers: TLS with a client certificate, no reconnect, bounded timeouts. */
final class Clients {
    private Clients() {}

    static Connection connect(String url, TestCa.Pems cert, String caPem) throws IOException, InterruptedException, GeneralSecurityException {
        SSLContext ctx = cert != null ? cert.clientContext(caPem) : PemSslContexts.trustingContext(caPem);
        return connect(url, ctx);
    }

    static Connection connect(String url, SSLContext ctx) throws IOException, InterruptedException {
        Options o = new Options.Builder()
                .server(url)
                .sslContext(ctx)
                .connectionTimeout(Duration.ofSeconds(3))
                .noReconnect()
                .maxReconnects(0)
                .errorListener(new io.nats.client.ErrorListener() {}) // quiet: rejections are expected in tests
                .build();
        return Nats.connect(o);
    }
}
