package io.choria.natsoperator.runtime;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectRulesReviewStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.List;

/**
 * The fabric8 mock server in CRUD mode with the CRD installed (as testing.MockCluster), that
 * also answers the SelfSubjectRulesReview java-operator-sdk makes before leader election with
 * the rules it is given (for example the chart's lease Role), so leader election runs against
 * it. CRUD mode alone would echo the review back with no status.
 */
public final class LeaseAwareMockServer implements AutoCloseable {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    public final KubernetesMockServer server;
    public final KubernetesClient client;

    public LeaseAwareMockServer(List<ResourceRule> grantedRules) {
        KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher() {
            @Override
            public MockResponse handleCreate(RecordedRequest request) {
                if (request.getPath().contains("/selfsubjectrulesreviews")) {
                    SelfSubjectRulesReview review = JSON.unmarshal(request.getUtf8Body(), SelfSubjectRulesReview.class);
                    review.setStatus(new SubjectRulesReviewStatusBuilder().withIncomplete(false)
                            .withResourceRules(grantedRules).build());
                    return new MockResponse().setResponseCode(201).setBody(JSON.asJson(review));
                }
                return super.handleCreate(request);
            }
        };
        server = io.choria.natsoperator.local.EmbeddedApiServer.crudServer(dispatcher);
        server.init();
        client = server.createClient();
        io.choria.natsoperator.local.EmbeddedApiServer.installCrd(client);
    }

    /** Takes every request recorded so far. */
    public List<RecordedRequest> drainRequests() {
        return io.choria.natsoperator.testing.MockCluster.drain(server);
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
