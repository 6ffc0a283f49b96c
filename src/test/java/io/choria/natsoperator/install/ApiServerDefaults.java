package io.choria.natsoperator.install;

import io.choria.natsoperator.testing.KubeCel;
import java.util.List;
import java.util.Map;

/**
 * Some of what the API server fills in before validating admission sees an object (defaulting,
 * allocation), so the policy is checked against the object it will really get: container
 * pull policy and termination message fields, the pod's restart and DNS policies, Service type,
 * cluster IP, session affinity and node ports, protocols, the StatefulSet's claim retention policy.
 * Not every default: the ones on the fields the policy reads or near them.
 */
final class ApiServerDefaults {
    private ApiServerDefaults() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> apply(Map<String, Object> original) {
        Map<String, Object> o = KubeCel.copy(original);
        Map<String, Object> spec = (Map<String, Object>) o.get("spec");
        switch ((String) o.get("kind")) {
            case "StatefulSet" -> {
                spec.putIfAbsent("revisionHistoryLimit", 10L);
                spec.putIfAbsent("persistentVolumeClaimRetentionPolicy", Map.of("whenDeleted", "Retain", "whenScaled", "Retain"));
                Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec");
                pod.putIfAbsent("restartPolicy", "Always");
                pod.putIfAbsent("dnsPolicy", "ClusterFirst");
                pod.putIfAbsent("schedulerName", "default-scheduler");
                for (String key : List.of("containers", "initContainers")) {
                    for (Map<String, Object> c : (List<Map<String, Object>>) pod.getOrDefault(key, List.of())) {
                        c.putIfAbsent("imagePullPolicy", "IfNotPresent");
                        c.putIfAbsent("terminationMessagePath", "/dev/termination-log");
                        c.putIfAbsent("terminationMessagePolicy", "File");
                        for (Map<String, Object> p : (List<Map<String, Object>>) c.getOrDefault("ports", List.of())) p.putIfAbsent("protocol", "TCP");
                    }
                }
            }
            case "Service" -> {
                spec.putIfAbsent("type", "ClusterIP");
                spec.putIfAbsent("sessionAffinity", "None");
                spec.putIfAbsent("clusterIP", "10.96.12.34");
                spec.putIfAbsent("clusterIPs", List.of(spec.get("clusterIP")));
                spec.putIfAbsent("ipFamilies", List.of("IPv4"));
                spec.putIfAbsent("ipFamilyPolicy", "SingleStack");
                spec.putIfAbsent("internalTrafficPolicy", "Cluster");
                boolean exposed = List.of("NodePort", "LoadBalancer").contains(spec.get("type"));
                if (exposed) spec.putIfAbsent("externalTrafficPolicy", "Cluster");
                if ("LoadBalancer".equals(spec.get("type"))) spec.putIfAbsent("allocateLoadBalancerNodePorts", true);
                for (Map<String, Object> p : (List<Map<String, Object>>) spec.get("ports")) {
                    p.putIfAbsent("protocol", "TCP");
                    if (exposed) p.putIfAbsent("nodePort", 31234L);
                }
            }
            case "NetworkPolicy" -> {
                for (Map<String, Object> r : (List<Map<String, Object>>) spec.getOrDefault("ingress", List.of())) {
                    for (Map<String, Object> p : (List<Map<String, Object>>) r.getOrDefault("ports", List.of())) p.putIfAbsent("protocol", "TCP");
                }
            }
            default -> { }
        }
        return o;
    }
}
