package io.choria.natsoperator.local;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a kubelet derives from a pod spec, as pure functions: the files of a ConfigMap or Secret
 * volume, a container's environment ({@code fieldRef}, {@code $(VAR)} references) and its command
 * line. {@link LocalPod} runs what these say.
 */
public final class PodSpecs {
    private PodSpecs() {}

    /** The executable an image runs when the container gives no {@code command} (its ENTRYPOINT), by image repository. */
    static final Map<String, String> ENTRYPOINTS = Map.of(
            "nats", "nats-server",
            "natsio/nats-server-config-reloader", "nats-server-config-reloader",
            "natsio/prometheus-nats-exporter", "prometheus-nats-exporter");

    /** The facts about one pod a {@code fieldRef} may ask for. */
    public record PodFacts(String name, String namespace, String podIp, String nodeName, Map<String, String> labels) {}

    /** A file of a volume: its path inside the volume, its bytes and its mode. */
    public record VolumeFile(String path, byte[] content, int mode) {}

    /**
     * The files of a ConfigMap or Secret volume, as the kubelet writes them ({@code items} select and
     * rename keys; {@code defaultMode} or 0644). Null when the volume is not of a kind this kubelet fills
     * from the API (emptyDir: an empty directory). A missing ConfigMap or Secret throws, as the kubelet
     * would keep the pod from starting, unless it is {@code optional}. A projected volume holds the files
     * of each of its ConfigMap and Secret sources (an optional source that is missing gives none).
     */
    public static List<VolumeFile> volumeFiles(Volume v, BiFunction<String, String, ConfigMap> configMaps,
            BiFunction<String, String, Secret> secrets, String namespace) {
        if (v.getConfigMap() != null) {
            var ref = v.getConfigMap();
            return configMapFiles(configMaps.apply(namespace, ref.getName()), ref.getName(), ref.getItems(), ref.getDefaultMode(), ref.getOptional());
        }
        if (v.getProjected() != null) {
            List<VolumeFile> all = new ArrayList<>();
            Integer mode = v.getProjected().getDefaultMode();
            for (var source : v.getProjected().getSources()) {
                if (source.getConfigMap() != null) {
                    var ref = source.getConfigMap();
                    all.addAll(configMapFiles(configMaps.apply(namespace, ref.getName()), ref.getName(), ref.getItems(), mode, ref.getOptional()));
                } else if (source.getSecret() != null) {
                    var ref = source.getSecret();
                    Secret s = secrets.apply(namespace, ref.getName());
                    if (s == null && Boolean.TRUE.equals(ref.getOptional())) continue;
                    if (s == null) throw new IllegalStateException("secret \"" + ref.getName() + "\" not found");
                    all.addAll(files(secretData(s), ref.getItems(), mode, Boolean.TRUE.equals(ref.getOptional())));
                } else {
                    throw new IllegalStateException("volume " + v.getName() + ": only configMap and secret projections are supported locally");
                }
            }
            return all;
        }
        if (v.getSecret() != null) {
            Secret s = secrets.apply(namespace, v.getSecret().getSecretName());
            if (s == null) throw new IllegalStateException("secret \"" + v.getSecret().getSecretName() + "\" not found");
            return files(secretData(s), v.getSecret().getItems(), v.getSecret().getDefaultMode(), false);
        }
        return null;
    }

    private static List<VolumeFile> configMapFiles(ConfigMap cm, String name, List<KeyToPath> items, Integer mode, Boolean optional) {
        boolean mayLack = Boolean.TRUE.equals(optional);
        if (cm == null && mayLack) return List.of();
        if (cm == null) throw new IllegalStateException("configmap \"" + name + "\" not found");
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (cm.getData() != null) cm.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
        if (cm.getBinaryData() != null) cm.getBinaryData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
        return files(data, items, mode, mayLack);
    }

    private static Map<String, byte[]> secretData(Secret s) {
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (s.getData() != null) s.getData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
        if (s.getStringData() != null) s.getStringData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
        return data;
    }

    /** {@code optional}: a key an item names may be missing (its file is then left out), as for the kubelet. */
    private static List<VolumeFile> files(Map<String, byte[]> data, List<KeyToPath> items, Integer defaultMode, boolean optional) {
        int mode = defaultMode != null ? defaultMode : 0644;
        List<VolumeFile> files = new ArrayList<>();
        if (items == null || items.isEmpty()) {
            data.forEach((k, val) -> files.add(new VolumeFile(k, val, mode)));
        } else {
            for (KeyToPath item : items) {
                byte[] val = data.get(item.getKey());
                if (val == null && optional) continue;
                if (val == null) throw new IllegalStateException("key \"" + item.getKey() + "\" not found");
                files.add(new VolumeFile(item.getPath(), val, item.getMode() != null ? item.getMode() : mode));
            }
        }
        return files;
    }

    /**
     * The container's environment: its {@code env} in order, each value with {@code $(VAR)} of earlier
     * ones expanded, {@code fieldRef} from the pod's facts, secret and config map keys looked up.
     */
    public static Map<String, String> environment(Container c, PodFacts pod, BiFunction<String, String, ConfigMap> configMaps,
            BiFunction<String, String, Secret> secrets) {
        Map<String, String> env = new LinkedHashMap<>();
        if (c.getEnv() == null) return env;
        for (EnvVar e : c.getEnv()) {
            String value;
            if (e.getValueFrom() == null) {
                value = expand(e.getValue() == null ? "" : e.getValue(), env);
            } else if (e.getValueFrom().getFieldRef() != null) {
                value = field(e.getValueFrom().getFieldRef().getFieldPath(), pod);
            } else if (e.getValueFrom().getSecretKeyRef() != null) {
                var ref = e.getValueFrom().getSecretKeyRef();
                Secret s = secrets.apply(pod.namespace(), ref.getName());
                String b64 = s == null || s.getData() == null ? null : s.getData().get(ref.getKey());
                if (b64 == null && !Boolean.TRUE.equals(ref.getOptional())) {
                    throw new IllegalStateException("env " + e.getName() + ": secret key " + ref.getName() + "/" + ref.getKey() + " not found");
                }
                if (b64 == null) continue;
                value = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
            } else if (e.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = e.getValueFrom().getConfigMapKeyRef();
                ConfigMap cm = configMaps.apply(pod.namespace(), ref.getName());
                value = cm == null || cm.getData() == null ? null : cm.getData().get(ref.getKey());
                if (value == null && !Boolean.TRUE.equals(ref.getOptional())) {
                    throw new IllegalStateException("env " + e.getName() + ": config map key " + ref.getName() + "/" + ref.getKey() + " not found");
                }
                if (value == null) continue;
            } else {
                throw new IllegalStateException("env " + e.getName() + ": only value, fieldRef, secretKeyRef and configMapKeyRef are supported locally");
            }
            env.put(e.getName(), value);
        }
        return env;
    }

    static String field(String path, PodFacts pod) {
        return switch (path) {
            case "metadata.name" -> pod.name();
            case "metadata.namespace" -> pod.namespace();
            case "status.podIP", "status.hostIP" -> pod.podIp();
            case "spec.nodeName" -> pod.nodeName();
            default -> {
                Matcher m = Pattern.compile("metadata\\.labels\\['(.+)'\\]").matcher(path);
                if (m.matches()) yield pod.labels().getOrDefault(m.group(1), "");
                throw new IllegalStateException("fieldRef " + path + " is not supported locally");
            }
        };
    }

    private static final Pattern REFERENCE = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_.-]*)\\)");

    /** Kubernetes' {@code $(VAR)} expansion: a defined variable is replaced, {@code $$} is a literal {@code $}, anything else stays. */
    public static String expand(String s, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "$" : env.getOrDefault(m.group(1), m.group());
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** What the container runs: its command (or the image's entrypoint) and args, with {@code $(VAR)} expanded. */
    public static List<String> commandLine(Container c, Map<String, String> env) {
        List<String> line = new ArrayList<>();
        if (c.getCommand() != null && !c.getCommand().isEmpty()) {
            c.getCommand().forEach(a -> line.add(expand(a, env)));
        } else {
            String entrypoint = ENTRYPOINTS.get(repository(c.getImage()));
            if (entrypoint == null) {
                throw new IllegalStateException("container " + c.getName() + ": image " + c.getImage()
                        + " has no command, and its entrypoint is not known locally");
            }
            line.add(entrypoint);
        }
        if (c.getArgs() != null) c.getArgs().forEach(a -> line.add(expand(a, env)));
        return line;
    }

    /** {@code docker.io/library/nats:2.10@sha256:…} → {@code nats}. */
    static String repository(String image) {
        if (image == null) return "";
        String s = image;
        int at = s.indexOf('@');
        if (at >= 0) s = s.substring(0, at);
        int slash = s.lastIndexOf('/');
        int colon = s.lastIndexOf(':');
        if (colon > slash) s = s.substring(0, colon);
        for (String registry : List.of("docker.io/library/", "docker.io/", "index.docker.io/library/")) {
            if (s.startsWith(registry)) s = s.substring(registry.length());
        }
        return s;
    }

    /** A probe's or a Service's port, by number or by the name a container port gives it. */
    public static int port(IntOrString port, List<Container> containers) {
        if (port.getIntVal() != null) return port.getIntVal();
        for (Container c : containers) {
            if (c.getPorts() == null) continue;
            for (ContainerPort p : c.getPorts()) {
                if (port.getStrVal().equals(p.getName())) return p.getContainerPort();
            }
        }
        throw new IllegalStateException("no container port named " + port.getStrVal());
    }
}
