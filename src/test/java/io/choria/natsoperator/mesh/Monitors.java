package io.choria.natsoperator.mesh;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionException;

/** The blocking monitor calls tests make against real brokers (the operator only uses {@link MonitorClient#varzAsync}). */
public final class Monitors {
    private Monitors() {}

    /** {@code /varz}, waited for. */
    public static MonitorClient.Varz varz(MonitorClient client, URI base) throws MonitorClient.MonitorException {
        try {
            return client.varzAsync(base).join();
        } catch (CompletionException e) {
            throw client.asMonitorException(e);
        }
    }

    public static MonitorClient.Varz varz(URI base) throws MonitorClient.MonitorException {
        return varz(new MonitorClient(), base);
    }

    /** True when {@code /healthz} answers 200. Never throws: any failure is "not healthy". */
    public static boolean healthy(URI base, Duration timeout) {
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
            return http.send(HttpRequest.newBuilder(base.resolve("/healthz")).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A broker's monitoring port that answers /varz as one member of a full 3-broker mesh, on a free loopback port. */
    public static com.sun.net.httpserver.HttpServer meshedBroker(int backlog) throws java.io.IOException {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), backlog);
        server.createContext("/varz", x -> {
            byte[] body = "{\"server_name\":\"alive\",\"remotes\":2,\"routes\":2,\"connections\":0,\"mem\":1}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            try (java.io.OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }
}
