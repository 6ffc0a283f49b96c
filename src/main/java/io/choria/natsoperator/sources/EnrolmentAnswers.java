package io.choria.natsoperator.sources;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.BrokerEnrolment;
import io.choria.natsoperator.puppet.EnrolmentPoller;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.ResourceEventAware;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link EnrolmentPoller} as an event source: a changed answer from the Puppet CA reconciles that cluster, a
 * deleted NatsCluster's request is no longer polled, and the poller's threads end with the controller (they start
 * again with the next request).
 */
public final class EnrolmentAnswers extends SimpleInboundEventSource<NatsCluster> implements ResourceEventAware<NatsCluster> {
    private final EnrolmentPoller poller;

    public EnrolmentAnswers(Clock clock) {
        super("puppet-enrolment");
        this.poller = new EnrolmentPoller(clock);
    }

    /**
     * The CA of one cluster's enrolment, for one pass: answers come from the poller; {@code asked} records that the
     * pass handed it a request (a pass that does not is done with the CA, see {@link #forget}).
     */
    public BrokerEnrolment.Ca ca(NatsCluster nc, URI url, TrustBundle bundle, Runnable asked) {
        String uid = nc.getMetadata().getUid();
        ResourceID id = ResourceID.fromResource(nc);
        return new BrokerEnrolment.Ca() {
            @Override
            public URI url() {
                return url;
            }

            @Override
            public Optional<EnrolmentPoller.Answer> answer(String certname, String csrPem) {
                asked.run();
                return poller.latest(uid, new EnrolmentPoller.Request(url, bundle, certname, csrPem), () -> changed(id));
            }
        };
    }

    public void forget(String uid) {
        poller.forget(uid);
    }

    public void retainOnly(Set<String> uids) {
        poller.retainOnly(uids);
    }

    private void changed(ResourceID id) {
        // before start the first reconciles are still to come; after stop nobody listens
        if (!isRunning() || getEventHandler() == null) return;
        propagateEvent(id);
    }

    @Override
    public void onResourceDeleted(NatsCluster nc) {
        poller.forget(nc.getMetadata().getUid());
    }

    @Override
    public void stop() {
        super.stop();
        poller.close();
    }
}
