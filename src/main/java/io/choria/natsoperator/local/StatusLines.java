package io.choria.natsoperator.local;

import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One line per status condition that changed since the last look, as a user watching
 * {@code kubectl get natsclusters -w} would want it: {@code choria/broker Ready=False BrokersNotReady: 1/3 brokers ready}.
 */
public final class StatusLines {
    private final Map<String, String> seen = new HashMap<>();

    /** The lines for what changed in {@code nc}'s conditions (status, reason or message); empty when nothing did. */
    public List<String> changes(NatsCluster nc) {
        List<String> lines = new ArrayList<>();
        if (nc.getStatus() == null || nc.getStatus().getConditions() == null) return lines;
        String name = nc.getMetadata().getNamespace() + "/" + nc.getMetadata().getName();
        for (Condition c : nc.getStatus().getConditions()) {
            String line = name + " " + c.getType() + "=" + c.getStatus() + " " + c.getReason()
                    + (c.getMessage() == null || c.getMessage().isEmpty() ? "" : ": " + c.getMessage());
            if (!line.equals(seen.put(name + "/" + c.getType(), line))) lines.add(line);
        }
        return lines;
    }

    /** True when the condition is there and True. */
    public static boolean isTrue(NatsCluster nc, String type) {
        return nc.getStatus() != null && nc.getStatus().getConditions() != null
                && nc.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals(type) && "True".equals(c.getStatus()));
    }
}
