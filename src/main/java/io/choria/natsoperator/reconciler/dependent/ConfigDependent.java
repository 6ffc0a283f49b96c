package io.choria.natsoperator.reconciler.dependent;

import io.choria.natsoperator.model.DesiredCluster;
import io.choria.natsoperator.model.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.Objects;

/** The {@code nats.conf} ConfigMap (no secret in it); a hand edit of its data is put back. */
public final class ConfigDependent extends Dependent<ConfigMap> {
    public ConfigDependent() {
        super(ConfigMap.class, DesiredCluster::config, Names::configMap, false);
    }

    @Override
    protected boolean sameContent(ConfigMap desired, ConfigMap actual) {
        return Objects.equals(desired.getData(), actual.getData());
    }
}
