package io.choria.natsoperator.cli;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.SpecValidator;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The NatsClusters and Secrets read from the files given to {@code render}. */
record RenderInput(List<NatsCluster> clusters, Map<String, Secret> secrets) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final io.fabric8.kubernetes.client.utils.KubernetesSerialization KUBE =
            new io.fabric8.kubernetes.client.utils.KubernetesSerialization();

    static RenderInput read(List<Path> files) {
        List<NatsCluster> clusters = new ArrayList<>();
        Map<String, Secret> secrets = new LinkedHashMap<>();
        for (Path file : files) {
            int doc = 0;
            try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(new StringReader(checkedText(file)))) {
                while (docs.hasNextValue()) {
                    JsonNode node = docs.nextValue();
                    doc++;
                    if (node == null || node.isNull() || node.isEmpty()) continue;
                    String where = file + " (document " + doc + ")";
                    String kind = node.path("kind").asText("");
                    String apiVersion = node.path("apiVersion").asText("");
                    if (kind.equals("NatsCluster") && apiVersion.equals(NatsCluster.API_VERSION)) {
                        NatsCluster nc = convert(node, NatsCluster.class, where);
                        if (nc.getMetadata() == null || nc.getMetadata().getName() == null) {
                            throw new RenderException(where + ": NatsCluster has no metadata.name");
                        }
                        if (nc.getMetadata().getNamespace() == null) nc.getMetadata().setNamespace("default");
                        clusters.add(nc);
                    } else if (kind.equals("Secret") && apiVersion.equals("v1")) {
                        Secret s = convert(node, Secret.class, where);
                        if (s.getMetadata() == null || s.getMetadata().getName() == null || s.getMetadata().getName().isEmpty()) {
                            throw new RenderException(where + ": Secret has no metadata.name");
                        }
                        String ns = s.getMetadata().getNamespace() == null ? "default" : s.getMetadata().getNamespace();
                        secrets.put(ns + "/" + s.getMetadata().getName(), s);
                    } else {
                        throw new RenderException(where + ": unknown kind " + SpecValidator.quote(kind) + " (apiVersion "
                                + SpecValidator.quote(apiVersion) + "); expected NatsCluster (" + NatsCluster.API_VERSION + ") or Secret (v1)");
                    }
                }
            } catch (NoSuchFileException e) {
                throw new RenderException(file + ": no such file");
            } catch (IOException | RuntimeException e) {
                if (e instanceof RenderException r) throw r;
                throw new RenderException(file + ": not valid YAML: " + firstLine(e.getMessage()));
            }
        }
        if (clusters.isEmpty()) throw new RenderException("no NatsCluster (" + NatsCluster.API_VERSION + ") found in " + files);
        return new RenderInput(clusters, secrets);
    }

    /**
     * The API server takes no request body over 3 MiB, so no document over that can be a Kubernetes
     * object. A larger one is refused here, in one linear pass, before the YAML parser sees it: the
     * parser needs seconds per megabyte of a single scalar before its own limit (3M code points)
     * trips, and tens of seconds for a 10 MB one (docs/BENCHMARKS.md).
     */
    static final int MAX_DOCUMENT_CHARS = 3 * 1024 * 1024;
    /** Files past this are refused unread: render's input is a few objects, not a dump of a cluster. */
    static final long MAX_FILE_BYTES = 64L * 1024 * 1024;

    /** The file's text, after the size checks; a problem names the file and the document. */
    static String checkedText(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new RenderException(file + ": " + size + " bytes; render reads files of at most " + MAX_FILE_BYTES / (1024 * 1024) + " MiB");
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new RenderException(file + ": not UTF-8 text");
        }
        int doc = 1, start = 0, lineStart = 0;
        boolean content = false;
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && text.charAt(i) != '\n') continue;
            // one line: [lineStart, i)
            boolean separator = text.startsWith("---", lineStart) && (lineStart + 3 == i || Character.isWhitespace(text.charAt(lineStart + 3)));
            if (separator) {
                if (content) doc++;
                content = false;
                start = i + 1;
            } else {
                for (int j = lineStart; j < i && !content; j++) {
                    char c = text.charAt(j);
                    if (c == '#') break;
                    if (!Character.isWhitespace(c)) content = true;
                }
                if (i - start > MAX_DOCUMENT_CHARS) {
                    throw new RenderException(file + " (document " + doc + "): more than " + MAX_DOCUMENT_CHARS / (1024 * 1024)
                            + " MiB; the API server accepts no object that large");
                }
            }
            lineStart = i + 1;
        }
        return text;
    }

    Secret secret(String namespace, String name) {
        return secrets.get(namespace + "/" + name);
    }

    /** A NatsCluster from the files (a gateway remote's natsClusterRef is resolved from these, as the operator does from the API). */
    java.util.Optional<NatsCluster> cluster(String namespace, String name) {
        return clusters.stream().filter(nc -> nc.getMetadata().getNamespace().equals(namespace) && nc.getMetadata().getName().equals(name)).findFirst();
    }

    private static <T> T convert(JsonNode node, Class<T> type, String where) {
        try {
            return KUBE.convertValue(node, type);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JsonMappingException m && !m.getPath().isEmpty()) {
                throw new RenderException(where + ": " + field(m.getPath()) + ": " + simplified(m.getOriginalMessage()));
            }
            throw new RenderException(where + ": " + simplified(e.getMessage()));
        }
    }

    /** The field Jackson stopped at, as a user writes it: {@code spec.tls.extraSANs[0]}. */
    static String field(List<JsonMappingException.Reference> path) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) sb.append('.');
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /**
     * Jackson's message, first line, without Java class names and its hints about constructors: what a
     * user wrote and what was expected ("Cannot deserialize value of type `Integer` from String ...").
     */
    static String simplified(String message) {
        String m = firstLine(message);
        int chain = m.indexOf(" (through reference chain");
        if (chain >= 0) m = m.substring(0, chain);
        m = m.replace(" (although at least one Creator exists)", "").replace("no String-argument constructor/factory method to deserialize from ", "an object expected, not a ")
                .replace("no int/Int-argument constructor/factory method to deserialize from ", "an object expected, not a ")
                .replace("no boolean/Boolean-argument constructor/factory method to deserialize from ", "an object expected, not a ")
                .replace("no double/Double-argument constructor/factory method to deserialize from ", "an object expected, not a ")
                .replaceAll("`(?:[a-z0-9]+\\.)+([A-Za-z0-9$]+)`", "`$1`")
                .replaceAll("(?:[a-z0-9]+\\.)+([A-Z][A-Za-z0-9$]*)(?=[\\[<`\\s(]|$)", "$1");
        if (m.startsWith("String index out of range")) m = "not a valid value (empty?)";
        return m;
    }

    static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
