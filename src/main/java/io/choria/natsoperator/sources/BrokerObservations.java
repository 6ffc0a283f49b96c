package io.choria.natsoperator.sources;

import io.choria.natsoperator.status.StatusCalculator;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.mesh.MeshPoller;
import io.choria.natsoperator.mesh.MeshPolling;
import io.choria.natsoperator.mesh.MeshProbe;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link MeshPoller} as an event source: a poll whose verdict changed reconciles that cluster,
 * a deleted NatsCluster is no longer polled, and the poller's threads end with the operator.
 * java-operator-sdk's own PerResourcePollingEventSource (5.2) polls the primary as stored, on
 * a fixed period from its creation; the brokers can only be asked once the reconcile knows them
 * ready, with its working copy of the spec (defaults, gateway references resolved).
 */
public final class BrokerObservations extends AbstractEventSource<MeshObservation, NatsCluster> implements ResourceEventAware<NatsCluster> {
    private final MeshPoller poller;

    public BrokerObservations(MeshProbe probe, MeshPolling polling, Clock clock) {
        super(MeshObservation.class, "broker-observations");
        this.poller = new MeshPoller(probe, polling, clock, StatusCalculator::meshVerdict, this::changed);
    }

    public MeshPolling polling() {
        return poller.polling();
    }

    /** See {@link MeshPoller#staleAfter}. */
    public java.time.Duration staleAfter() {
        return poller.staleAfter();
    }

    public Optional<MeshPoller.Seen> watch(NatsCluster defaultedNc, boolean changing) {
        return poller.watch(defaultedNc.getMetadata().getUid(), defaultedNc, changing);
    }

    public void forget(String uid) {
        poller.forget(uid);
    }

    public void retainOnly(Set<String> uids) {
        poller.retainOnly(uids);
    }

    private void changed(NatsCluster nc) {
        // before start the first reconciles are still to come; after stop nobody listens
        if (!isRunning() || getEventHandler() == null) return;
        getEventHandler().handleEvent(new Event(ResourceID.fromResource(nc)));
    }

    @Override
    public void onResourceDeleted(NatsCluster nc) {
        poller.forget(nc.getMetadata().getUid());
    }

    @Override
    public Set<MeshObservation> getSecondaryResources(NatsCluster primary) {
        return Set.of();
    }

    @Override
    public void stop() {
        super.stop();
        poller.close();
    }
}
