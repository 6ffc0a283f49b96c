package io.choria.natsoperator.brokers;

import io.choria.natsoperator.pki.PemSslContexts;
import io.choria.natsoperator.pki.TestCa;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.security.GeneralSecurityException;
import io.nats.client.ConnectionListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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

    /** Makes {@code node} answer every request on {@code subject} with {@code me}, as a Choria node replies to a broadcast. */
    static void answerAs(Connection node, String subject, String me) throws java.util.concurrent.TimeoutException, InterruptedException {
        io.nats.client.Dispatcher d = node.createDispatcher(m -> node.publish(m.getReplyTo(), me.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        d.subscribe(subject);
        node.flush(Duration.ofSeconds(2));
    }

    /**
     * Sends a Choria-shaped request on {@code subject} from {@code client} until every name in
     * {@code expected} has answered (bounded: interest crosses routes, gateways and leaf
     * connections asynchronously, so the request is repeated); returns who answered.
     */
    static java.util.Set<String> awaitAnswers(Connection client, String subject, java.util.Set<String> expected)
            throws java.util.concurrent.TimeoutException, InterruptedException {
        String inbox = client.createInbox();
        io.nats.client.Subscription replies = client.subscribe(inbox);
        client.flush(Duration.ofSeconds(2));
        java.util.Set<String> answered = new java.util.TreeSet<>();
        io.choria.natsoperator.testing.Await.until("replies from " + expected, Duration.ofSeconds(20), () -> {
            client.publish(subject, inbox, "rpcutil ping".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try {
                for (io.nats.client.Message m = replies.nextMessage(Duration.ofMillis(200)); m != null; m = replies.nextMessage(Duration.ofMillis(20))) {
                    // a request sent before the interest has crossed gets a "no responders" status (503, no body)
                    if (!m.isStatusMessage()) answered.add(new String(m.getData(), java.nio.charset.StandardCharsets.UTF_8));
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return answered;
        }, got -> got.containsAll(expected));
        return answered;
    }

    /** One connection event as a client saw it: when (System.nanoTime), what, and the server it was connected to then. */
    record Event(long nanos, ConnectionListener.Events type, String url) {}

    /**
     * A client like a Choria node's: it reconnects (without limit, 250 ms apart) through {@code urls} in that order
     * (no randomizing, so a test knows where it lands first) and records every connection event.
     */
    static final class Tracked implements AutoCloseable {
        final Connection connection;
        final List<Event> events;

        private Tracked(Connection connection, List<Event> events) {
            this.connection = connection;
            this.events = events;
        }

        static Tracked connect(List<String> urls, SSLContext ctx) throws IOException, InterruptedException {
            List<Event> events = Collections.synchronizedList(new ArrayList<>());
            Options o = new Options.Builder()
                    .servers(urls.toArray(String[]::new))
                    .noRandomize()
                    .sslContext(ctx)
                    .connectionTimeout(Duration.ofSeconds(3))
                    .reconnectWait(Duration.ofMillis(250))
                    .maxReconnects(-1)
                    .connectionListener((conn, type) -> events.add(new Event(System.nanoTime(), type, conn.getConnectedUrl())))
                    .errorListener(new io.nats.client.ErrorListener() {})
                    .build();
            return new Tracked(Nats.connect(o), events);
        }

        long count(ConnectionListener.Events type) {
            synchronized (events) {
                return events.stream().filter(e -> e.type() == type).count();
            }
        }

        /** The first time this event happened, or -1. */
        long firstNanos(ConnectionListener.Events type) {
            synchronized (events) {
                return events.stream().filter(e -> e.type() == type).mapToLong(Event::nanos).findFirst().orElse(-1);
            }
        }

        long reconnects() {
            return connection.getStatistics().getReconnects();
        }

        @Override
        public void close() throws InterruptedException {
            connection.close();
        }
    }

    /** Closes all at once: a jnats connection that has reconnected takes about a second to close. */
    static void closeAll(List<Tracked> clients) throws InterruptedException {
        if (clients.isEmpty()) return;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients.size());
        try {
            for (Tracked c : clients) {
                pool.submit(() -> {
                    c.close();
                    return null;
                });
            }
        } finally {
            pool.shutdown();
            pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
