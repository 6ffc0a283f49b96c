package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.Names;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Asks every broker of a cluster one monitoring question in parallel; each request is bounded by
 * the {@link MonitorClient}, so the whole round takes about one timeout, and a broker that does
 * not answer becomes an error message instead of stalling or failing the round.
 */
final class BrokerAsks {
    private BrokerAsks() {}

    /** Broker (pod name) and its answer, or why it gave none. */
    record Answer<T>(String broker, T value, String error) {}

    static <T> List<Answer<T>> each(MonitorClient client, NatsCluster defaultedNc, IntFunction<URI> monitorUriOfBroker,
            Function<URI, CompletableFuture<T>> ask) {
        Names names = Names.of(defaultedNc, Names.DEFAULT_CLUSTER_DOMAIN);
        List<CompletableFuture<Answer<T>>> asks = new ArrayList<>();
        for (int i = 0; i < defaultedNc.getSpec().getSize(); i++) {
            String pod = names.pod(i);
            CompletableFuture<Answer<T>> one;
            try {
                one = ask.apply(monitorUriOfBroker.apply(i)).thenApply(v -> new Answer<>(pod, v, (String) null))
                        .exceptionally(t -> new Answer<>(pod, null, client.asMonitorException(t).getMessage()));
            } catch (RuntimeException e) {
                one = CompletableFuture.completedFuture(new Answer<>(pod, null, e.getMessage()));
            }
            asks.add(one);
        }
        return asks.stream().map(CompletableFuture::join).toList();
    }
}
