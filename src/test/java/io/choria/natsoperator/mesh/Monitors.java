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
}
