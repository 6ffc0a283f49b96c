package io.choria.natsoperator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A cluster of NATS brokers for a Choria fleet: the one resource a platform team applies. */
@Group(NatsCluster.GROUP)
@Version(NatsCluster.VERSION)
@Plural("natsclusters")
@ShortNames("nc")
@AdditionalPrinterColumn(name = "Size", jsonPath = ".spec.size", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready", type = Type.STRING)
@AdditionalPrinterColumn(name = "Status", jsonPath = ".status.phase", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
// 52, not 63 - len("-headless") = 54: the StatefulSet controller labels each pod with
// controller-revision-hash=<name>-<10-character hash>, and a label value holds at most 63
// characters, so past 52 no broker pod can ever be created (kubernetes/kubernetes#64023).
@ValidationRule(value = "size(self.metadata.name) <= 52",
        message = "metadata.name must be at most 52 characters: the StatefulSet's controller-revision-hash label (<name>-<hash>) must stay within 63")
public class NatsCluster extends CustomResource<NatsClusterSpec, NatsClusterStatus> implements Namespaced {
    public static final String GROUP = "choria.io";
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    @Override
    protected NatsClusterSpec initSpec() {
        return new NatsClusterSpec();
    }
}
